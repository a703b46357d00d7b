//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cli"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/sim"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/natstest"
)

// The ERP's user on the backbone: every right in the account.
const backboneERP, backboneERPPassword = "erp", "erp-secret"

// backboneGW is a gateway on the NATS backbone (docs/mqtt-contract.md §15):
// its site and id, and the NATS user it connects as.
type backboneGW struct{ site, id string }

// backboneGateways are the scenarios' gateways: two on one site, one on
// another.
var backboneGateways = []backboneGW{{"demo", "gw-a"}, {"demo", "gw-b"}, {"north", "gw-c"}}

func (g backboneGW) key() string      { return g.site + "/" + g.id }
func (g backboneGW) user() string     { return g.site + "-" + g.id }
func (g backboneGW) password() string { return g.user() + "-secret" }

// subject is the NATS subject of the gateway's topic kind (events,
// status, commands).
func (g backboneGW) subject(kind string) string {
	return fmt.Sprintf("floorgate.v1.%s.%s.%s", g.site, g.id, kind)
}

// natsUser is the gateway's user as §15 says to give it: it may publish
// only its own topics and subscribe only to its own commands. Nothing of
// the cluster's internal $MQTT subjects is needed: the MQTT listener
// allows those to an MQTT client by itself.
func (g backboneGW) natsUser() natstest.User {
	return natstest.User{Name: g.user(), Password: g.password(),
		Publish: []string{fmt.Sprintf("floorgate.v1.%s.%s.>", g.site, g.id)}, Subscribe: []string{g.subject("commands")}}
}

// startBackbone runs a three-node cluster (JetStream R3, the MQTT store
// R3) with the ERP's user and one user per gateway, and lays it out with
// floorgate backbone init.
func startBackbone(t *testing.T, gws []backboneGW) *natstest.Cluster {
	t.Helper()
	users := []natstest.User{{Name: backboneERP, Password: backboneERPPassword}}
	for _, g := range gws {
		users = append(users, g.natsUser())
	}
	c := natstest.Start(t, natstest.Options{Users: users, MQTTReplicas: 3})
	var out bytes.Buffer
	if code := cli.Main(context.Background(), []string{"backbone", "init", "--nats", c.NATSURLs(), "--mqtt", c.MQTTURLs()[0],
		"--username", backboneERP, "--password", backboneERPPassword, "--max-age", "1h"}, &out, &out); code != 0 {
		t.Fatalf("backbone init: exit status %d\n%s", code, out.String())
	}
	t.Logf("backbone init:\n%s", out.String())
	return c
}

// startBackboneGateway runs floorgate (the chaos build, TLS on as shipped)
// as gateway g, listing every node's MQTT listener starting with node
// first, and connecting as g's own user. Keepalive 2s: a frozen node is
// given up within seconds (the connect timeout, 10s, is not configurable).
func startBackboneGateway(t *testing.T, c *natstest.Cluster, g backboneGW, stateDir string, first int) *chaosProc {
	t.Helper()
	bin, err := buildChaos()
	if err != nil {
		t.Fatal(err)
	}
	urls := c.MQTTURLs()
	var brokers []string
	for i := range urls {
		brokers = append(brokers, fmt.Sprintf("%q", urls[(first+i)%len(urls)]))
	}
	yaml := daemontest.TestConfig + fmt.Sprintf("site:\n  id: %s\n  gateway: %s\nmqtt:\n  brokers: [%s]\n  username: %q\n  password: %q\n  keepalive: 2s\n",
		g.site, g.id, strings.Join(brokers, ", "), g.user(), g.password())
	d := daemontest.SpawnDemo(t, bin, stateDir, yaml, nil)
	if d.TLS == nil {
		t.Fatal("the daemon serves plain HTTP: the scenarios run the shipped default, TLS on")
	}
	return &chaosProc{d}
}

// backboneJournal reads a stopped gateway's journal.
func backboneJournal(t *testing.T, stateDir string, g backboneGW) []floorgate.Event {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Site.ID, cfg.Site.Gateway = g.site, g.id
	site, _ := cfg.SiteInfo()
	db, err := store.Open(filepath.Join(stateDir, "floorgate.db"), store.Options{Site: site})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := db.Journal(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// streamLeader is the node leading a stream, as an index into c.Nodes; -1
// when no node leads it.
func streamLeader(ctx context.Context, c *natstest.Cluster, js jetstream.JetStream, name string) int {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := js.Stream(cctx, name)
	if err != nil {
		return -1
	}
	info, err := st.Info(cctx)
	if err != nil || info.Cluster == nil {
		return -1
	}
	for i, n := range c.Nodes {
		if n.Name == info.Cluster.Leader {
			return i
		}
	}
	return -1
}

// publishers counts the gateways publishing through node i: their
// publishing MQTT client (the "-up" client id) is connected there, has
// published (so its CONNECT was answered: a node just restarted may hold
// one unanswered for a long while) and was heard from within the
// keepalive (a node that was frozen may list for a while connections
// their clients have long given up).
func publishers(c *natstest.Cluster, i int) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Monitor(i)+"/connz?limit=1024", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	var connz struct {
		Now   time.Time `json:"now"`
		Conns []struct {
			MQTTClient   string    `json:"mqtt_client"`
			LastActivity time.Time `json:"last_activity"`
			InMsgs       int64     `json:"in_msgs"`
		} `json:"connections"`
	}
	if json.NewDecoder(res.Body).Decode(&connz) != nil {
		return 0
	}
	n := 0
	for _, cn := range connz.Conns {
		if strings.HasPrefix(cn.MQTTClient, "floorgate-") && strings.HasSuffix(cn.MQTTClient, "-up") && cn.InMsgs > 0 &&
			connz.Now.Sub(cn.LastActivity) < 3*time.Second {
			n++
		}
	}
	return n
}

// TestChaosBackbone runs three gateways (two on one site, one on another)
// on a three-node NATS JetStream backbone laid out by backbone init, each
// listing every node's MQTT listener and connecting as its own user, with
// pickers scanning on all three and the reference ERP consumer reading the
// events stream with two workers sharing one durable consumer. Mid-stream
// the node leading the MQTT store ($MQTT_msgs) is killed -9 and later
// restarted; then the node most gateways publish through is stopped with
// SIGSTOP for longer than the gateways' keepalive (2s) and connect timeout
// (10s), and resumed. Every OK scan's event must reach the ERP, once after
// dedup, with no gap, both workers taking a share. The ERP asks for no
// replays: what it holds came through the backbone alone, so an event the
// backbone acknowledged and dropped shows as lost instead of being
// fetched again from the gateway's journal. Each of
// FLOORGATE_CHAOS_ROUNDS/20 rounds (at least one) is one kill and one
// freeze.
func TestChaosBackbone(t *testing.T) {
	rounds := max(1, chaosRounds(t, 20)/20)
	const (
		down   = 3 * time.Second  // a killed node stays down
		frozen = 12 * time.Second // past the keepalive and the 10s connect timeout
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds)*2*time.Minute+3*time.Minute)
	defer cancel()
	started := time.Now()
	c := startBackbone(t, backboneGateways)
	const workers = 2
	js, tl := backboneERPSide(t, c, "erp-chaos-backbone", workers)

	floors := make([]*floor, len(backboneGateways))
	dirs := make([]string, len(backboneGateways))
	for i, g := range backboneGateways {
		dirs[i] = t.TempDir()
		f := &floor{t: t, ctx: ctx, tl: tl, demo: gateway.NewDemo(), l: newLedger(), pace: 20 * time.Millisecond}
		f.d = startBackboneGateway(t, c, g, dirs[i], i)
		f.moreTasks(60 * (rounds + 1))
		for p := range 2 {
			pk, err := sim.DialPicker(ctx, f.d.URL(), f.d.TLS, f.demo, fmt.Sprintf("%s-pda-%d", g.id, p), f.demo.Badges[p], 0.05, uint64(10*i+p+1))
			if err != nil {
				t.Fatal(err)
			}
			pk.SetPace(sim.HumanPace)
			f.pickers = append(f.pickers, pk)
		}
		floors[i] = f
	}
	t.Logf("cluster and %d gateways up in %v", len(floors), time.Since(started).Round(time.Millisecond))

	stop := make(chan struct{})
	var scanning sync.WaitGroup
	for _, f := range floors {
		scanning.Add(1)
		go func() {
			defer scanning.Done()
			f.scanUntil(stop)
		}()
	}
	var extra []string
	// cut counts the times a gateway's publishing connection was lost.
	cut := func() int {
		n := 0
		for _, f := range floors {
			n += strings.Count(f.d.log(), "mqtt connection lost")
		}
		return n
	}
	for r := range rounds {
		// The faults come while the pickers scan: the waits only space
		// them, nothing is asserted on them.
		time.Sleep(2 * time.Second)
		victim := streamLeader(ctx, c, js, "$MQTT_msgs")
		if victim < 0 {
			victim = r % len(c.Nodes)
		}
		t.Logf("round %d: kill -9 %s (leads $MQTT_msgs; %d gateways publish through it)", r+1, c.Nodes[victim].Name, publishers(c, victim))
		c.Kill(victim)
		time.Sleep(down)
		c.Restart(victim)
		c.WaitHealthy(30 * time.Second)
		// Freeze the node most gateways publish through, once they are all
		// back (a restarted node may take a while to serve MQTT again).
		var ice, most int
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(250 * time.Millisecond) {
			all := 0
			ice, most = 0, -1
			for i := range c.Nodes {
				n := publishers(c, i)
				if all += n; n > most {
					ice, most = i, n
				}
			}
			if all >= len(floors) || time.Now().After(deadline) {
				break
			}
		}
		t.Logf("round %d: SIGSTOP %s (%d gateways publish through it) for %v", r+1, c.Nodes[ice].Name, most, frozen)
		before := cut()
		c.Freeze(ice)
		time.Sleep(frozen)
		// Still frozen: a connection given up now was given up by the
		// keepalive.
		if cut() == before {
			extra = append(extra, fmt.Sprintf("round %d: frozen for %v, %s cut no gateway's connection: the scenario did not happen", r+1, frozen, c.Nodes[ice].Name))
		}
		c.Thaw(ice)
		c.WaitHealthy(30 * time.Second)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	scanning.Wait()
	cuts := cut()

	t.Logf("faults done after %v", time.Since(started).Round(time.Millisecond))
	// Drain: every outbox empty and every journal in the ERP's hands;
	// what does not drain is reported with the CHAOS line.
	for i, f := range floors {
		for _, p := range f.pickers {
			p.Close()
		}
		if problem := backboneDrained(f.d, tl, backboneGateways[i].key(), 2*time.Minute); problem != "" {
			extra = append(extra, backboneGateways[i].key()+": "+problem)
		}
	}
	// Every message of the stream taken by a worker and acknowledged.
	var ci *jetstream.ConsumerInfo
	var msgs uint64
	caughtUp := func() bool {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		defer ccancel()
		st, err := js.Stream(cctx, fgsync.DefaultEventsStream)
		if err != nil {
			return false
		}
		msgs = st.CachedInfo().State.Msgs
		cons, err := st.Consumer(cctx, fgsync.DefaultDurable)
		if err != nil {
			return false
		}
		ci, err = cons.Info(cctx)
		return err == nil && ci.NumPending == 0 && ci.NumAckPending == 0
	}
	for deadline := time.Now().Add(time.Minute); !caughtUp(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			extra = append(extra, "the ERP's durable consumer never caught up with the stream")
			break
		}
	}
	for _, f := range floors {
		f.d.stop(t)
	}
	var outages []string
	for i, f := range floors {
		outages = append(outages, fmt.Sprintf("%s %v", backboneGateways[i].key(), longestOutage(f.d.log())))
	}
	t.Logf("drained after %v; the gateways lost their publishing connection %d times, the longest time each was without one: %s; the stream holds %d messages",
		time.Since(started).Round(time.Millisecond), cuts, strings.Join(outages, ", "), msgs)
	if ci != nil {
		t.Logf("the ERP's consumer delivered %d, redelivered %d, %d pending, %d unacknowledged", ci.Delivered.Consumer,
			ci.NumRedelivered, ci.NumPending, ci.NumAckPending)
	}
	if taken := sumOf(tl.WorkerCounts()); ci != nil && uint64(taken) < msgs {
		extra = append(extra, fmt.Sprintf("the stream holds %d messages, the workers took %d", msgs, taken))
	}
	backboneReport(t, "backbone", tl, floors, dirs, extra...)
	t.Logf("scenario took %v", time.Since(started).Round(time.Millisecond))
}

// backboneDrained waits until p's outbox is empty and the ERP holds every
// event it journalled without a gap; it says what is left if not within d.
func backboneDrained(p *chaosProc, tl *fgsync.Tail, key string, d time.Duration) string {
	var depth, last float64
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		var err1, err2 error
		depth, err1 = p.metric("floorgate_outbox_depth")
		last, err2 = p.metric("floorgate_journal_last_seq")
		if err1 == nil && err2 == nil && depth == 0 && tl.Stats().Contiguous[key] >= uint64(last) {
			return ""
		}
		if time.Now().After(deadline) {
			return fmt.Sprintf("not drained after %v: outbox %v, journal at %v, the ERP complete to %d", d, depth, last, tl.Stats().Contiguous[key])
		}
	}
}

// longestOutage is the longest time a gateway's log shows it without a
// publishing connection: from "mqtt connection lost" to the next "mqtt
// connected".
func longestOutage(log string) time.Duration {
	var longest time.Duration
	var since time.Time
	for _, l := range strings.Split(log, "\n") {
		ts, _, ok := strings.Cut(strings.TrimPrefix(l, "time="), " ")
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			continue
		}
		switch {
		case strings.Contains(l, `msg="mqtt connection lost"`) && since.IsZero():
			since = at
		case strings.Contains(l, `msg="mqtt connected"`) && !since.IsZero():
			longest, since = max(longest, at.Sub(since)), time.Time{}
		}
	}
	return longest.Round(time.Millisecond)
}

// sumOf is the sum of ns.
func sumOf(ns []int) int {
	n := 0
	for _, v := range ns {
		n += v
	}
	return n
}

// backboneReport is chaosReport over several gateways and the ERP's
// workers: it reads each stopped gateway's journal, compares it with what
// its pickers were told and what the ERP got, prints the CHAOS line with
// the events each worker took, and fails the test on lost events, gaps, a
// scan id journalled twice, a worker idle, a delivery not taken by
// exactly one worker, an event the gateways never journalled, or extra.
func backboneReport(t *testing.T, name string, tl *fgsync.Tail, floors []*floor, dirs []string, extra ...string) {
	t.Helper()
	s := tl.Stats()
	var problems []string
	acked, lost, gaps, journalled := 0, 0, 0, 0
	for i, f := range floors {
		g := backboneGateways[i]
		evs := backboneJournal(t, dirs[i], g)
		journalled += len(evs)
		accepted := map[string][]floorgate.Event{}
		missing := 0
		for j, ev := range evs {
			if ev.Seq != uint64(j+1) {
				problems = append(problems, fmt.Sprintf("%s: journal[%d] has seq %d", g.key(), j, ev.Seq))
				break
			}
			if !tl.Has(ev.ID) {
				if missing++; missing <= 5 {
					problems = append(problems, fmt.Sprintf("%s: event %d (%s) never reached the ERP", g.key(), ev.Seq, ev.Type))
				}
			}
			if ev.Type == floorgate.EventScanAccepted {
				var rec floorgate.ScanRecord
				if err := json.Unmarshal(ev.Data, &rec); err != nil {
					t.Fatal(err)
				}
				accepted[rec.ScanID] = append(accepted[rec.ScanID], ev)
			}
		}
		if missing > 5 {
			problems = append(problems, fmt.Sprintf("%s: %d journalled events in all never reached the ERP", g.key(), missing))
		}
		for id, evs := range accepted {
			if len(evs) > 1 {
				problems = append(problems, fmt.Sprintf("%s: scan %s is journalled %d times", g.key(), id, len(evs)))
			}
		}
		f.l.mu.Lock()
		for id := range f.l.acked {
			got := false
			for _, ev := range accepted[id] {
				got = got || tl.Has(ev.ID)
			}
			if !got {
				lost++
				if lost <= 5 {
					problems = append(problems, fmt.Sprintf("%s: scan %s was answered OK; its event never reached the ERP", g.key(), id))
				}
			}
		}
		acked += len(f.l.acked)
		if len(f.l.unexpected) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d verdicts not what the scan deserved, e.g. %s", g.key(), len(f.l.unexpected), f.l.unexpected[0]))
		}
		if len(f.l.acked) == 0 {
			problems = append(problems, g.key()+": no scan was answered OK")
		}
		f.l.mu.Unlock()
		n := len(s.Gaps[g.key()])
		if c := s.Contiguous[g.key()]; c < uint64(len(evs)) && n == 0 {
			n = len(evs) - int(c)
		}
		gaps += n
	}
	if s.Unique != journalled {
		problems = append(problems, fmt.Sprintf("the ERP has %d distinct events, the gateways journalled %d", s.Unique, journalled))
	}
	work := tl.WorkerCounts()
	taken, idle := 0, false
	var each []string
	for _, n := range work {
		taken += n
		idle = idle || n == 0
		each = append(each, fmt.Sprint(n))
	}
	if len(work) != 2 || idle {
		problems = append(problems, fmt.Sprintf("events taken per worker %v: want two workers, each taking a share", work))
	}
	// One event a message: every delivery is taken by exactly one worker,
	// counted once there, and deduplicated across both.
	if taken != s.Received {
		problems = append(problems, fmt.Sprintf("the workers took %d deliveries, the ERP counted %d", taken, s.Received))
	}
	problems = append(problems, extra...)
	result := "PASS"
	if lost > 0 || gaps > 0 || len(problems) > 0 {
		result = "FAIL"
	}
	line := fmt.Sprintf("CHAOS name=%s acked=%d received=%d lost=%d dup=%d gaps=%d workers=%s result=%s",
		name, acked, s.Unique, lost, s.Duplicates, gaps, strings.Join(each, "+"), result)
	fmt.Println(line)
	for _, p := range problems {
		t.Error(p)
	}
	if result == "FAIL" {
		t.Error(line)
	}
}

// backboneERPSide is the ERP on the cluster: a JetStream client reading
// the central stream, and the reference consumer's workers sharing its
// durable consumer; both end with the test.
func backboneERPSide(t *testing.T, c *natstest.Cluster, clientID string, workers int) (jetstream.JetStream, *fgsync.Tail) {
	t.Helper()
	nc, err := nats.Connect(c.NATSURLs(), nats.UserInfo(backboneERP, backboneERPPassword), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	tl := fgsync.NewTail(fgsync.TailConfig{NATS: c.NATSURLs(), Username: backboneERP, Password: backboneERPPassword,
		ClientID: clientID, Workers: workers})
	ctx, cancel := context.WithCancel(context.Background())
	if err := tl.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); tl.Close() })
	return js, tl
}
