package mqtttest

import (
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// probeWait bounds each step of a Probe.
const probeWait = 10 * time.Second

// Probe is a bare MQTT 3.1.1 client for tests that try a broker's doors:
// who may connect, subscribe and publish.
type Probe struct {
	c mqtt.Client
}

// Dial connects to broker as user (anonymous when user is empty) with a
// clean session. A refused CONNECT is an error naming the refusal.
func Dial(broker, clientID, user, password string) (*Probe, error) {
	o := mqtt.NewClientOptions().AddBroker(broker).SetClientID(clientID).SetProtocolVersion(4).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(probeWait).SetCleanSession(true)
	if user != "" {
		o.SetUsername(user).SetPassword(password)
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(probeWait) {
		return nil, errors.New("connect: no CONNACK")
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return &Probe{c: c}, nil
}

// Subscribe subscribes at QoS 1 and returns the granted QoS (0x80 is a
// refusal) and the messages that arrive.
func (p *Probe) Subscribe(filter string) (byte, <-chan mqtt.Message, error) {
	ch := make(chan mqtt.Message, 256)
	tok := p.c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case ch <- m:
		default:
		}
	})
	if !tok.WaitTimeout(probeWait) {
		return 0, nil, errors.New("subscribe: no SUBACK")
	}
	st, ok := tok.(*mqtt.SubscribeToken)
	if !ok {
		return 0, nil, errors.New("subscribe: not a subscribe token")
	}
	if err := tok.Error(); err != nil && st.Result()[filter] == 0 {
		return 0, nil, fmt.Errorf("subscribe: %w", err)
	}
	return st.Result()[filter], ch, nil
}

// Publish sends payload at QoS 1 and waits for the PUBACK (or the end of
// the connection).
func (p *Probe) Publish(topic string, payload []byte) error {
	tok := p.c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(probeWait) {
		return errors.New("publish: no PUBACK")
	}
	return tok.Error()
}

// Connected reports whether the connection is still up.
func (p *Probe) Connected() bool { return p.c.IsConnectionOpen() }

// Close disconnects.
func (p *Probe) Close() { p.c.Disconnect(100) }
