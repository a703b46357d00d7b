// Package chaos holds floorgate's fault scenarios: the daemon killed -9
// mid-scan and mid-drain, brokers killed, frozen and cut off, a full disk,
// printers failing, scanners unplugged, a NATS backbone losing its leader
// and its WAN links — each ending in a ledger that must show lost=0; and
// the runs of daemon processes against real brokers and consumers that
// those scenarios are built from (three gateways and two consumers, the
// backbone's per-gateway rights, erp-tail against a gateway).
//
// Its tests build only with the chaos tag: make test runs them with it,
// at a short round (one CHAOS line per scenario), and make chaos runs the
// long round (FLOORGATE_CHAOS_ROUNDS). Each scenario runs the floorgate
// binary as a site does (internal/daemontest), the fault boundaries
// armed by its failpoints build (internal/failpoint).
package chaos
