// Package syncbench is the drain's yardstick for the benches: a plain paho
// client publishing at QoS 1 as fast as PUBACKs come, with nothing of the
// gateway's link around it.
package syncbench

import (
	"context"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
)

// PublishLoop is the yardstick for the drain: a plain paho client
// publishing the payloads at QoS 1 with at most window in flight, as fast
// as PUBACKs come. It returns how long that took.
func PublishLoop(ctx context.Context, broker, topic string, evs []floorgate.Outgoing, window int) (time.Duration, error) {
	o := mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("floorgate-baseline-%d", time.Now().UnixNano())).
		SetCleanSession(true).SetAutoReconnect(false)
	c := mqtt.NewClient(o)
	if err := wait(ctx, c.Connect()); err != nil {
		return 0, fmt.Errorf("baseline connect: %w", err)
	}
	defer c.Disconnect(250)
	sem := make(chan struct{}, window)
	errs := make(chan error, 1)
	start := time.Now()
	for _, ev := range evs {
		select {
		case sem <- struct{}{}:
		case err := <-errs:
			return 0, err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		tok := c.Publish(topic, 1, false, ev.Payload)
		go func() {
			<-tok.Done()
			if err := tok.Error(); err != nil {
				select {
				case errs <- fmt.Errorf("baseline publish: %w", err):
				default:
				}
			}
			<-sem
		}()
	}
	for range window {
		sem <- struct{}{}
	}
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return time.Since(start), nil
}

// wait waits for tok, or for ctx to end.
func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
