package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuWindow measures the CPU time processes and the whole machine spend
// over a window, from /proc, for bench peer's breakdown of where each
// verdict's CPU goes (the system measured, the load generator, the
// broker, and what the machine had left).
type cpuWindow struct {
	pids          map[string]int
	start, end    map[string]float64 // seconds of CPU by name
	busy0, busy1  float64            // the machine's busy seconds, all cores
	total0, total float64            // the machine's seconds, all cores
}

// clockTicks is USER_HZ, the unit of /proc's CPU times on Linux.
const clockTicks = 100

func (w *cpuWindow) open(pids map[string]int) {
	w.pids, w.start = pids, map[string]float64{}
	for name, pid := range pids {
		w.start[name] = procCPU(pid)
	}
	w.busy0, w.total0 = machineCPU()
}

func (w *cpuWindow) close() {
	if w.start == nil {
		return
	}
	w.end = map[string]float64{}
	for name, pid := range w.pids {
		w.end[name] = procCPU(pid)
	}
	w.busy1, w.total = machineCPU()
}

// fields are each process's CPU per verdict in µs, in the order of names
// (the first is the system measured), then the machine's busy and idle
// time per verdict, as BENCH fields: system_us=… loadgen_us=…
// mosquitto_us=… busy_us=… idle_us=….
func (w *cpuWindow) fields(verdicts int, names []string) string {
	if w.end == nil || verdicts == 0 {
		return "measured=0"
	}
	us := func(s float64) float64 { return s * 1e6 / float64(verdicts) }
	var b strings.Builder
	for i, name := range names {
		key := name
		if i == 0 {
			key = "system"
		}
		fmt.Fprintf(&b, "%s_us=%.1f ", key, us(w.end[name]-w.start[name]))
	}
	busy, total := w.busy1-w.busy0, w.total-w.total0
	fmt.Fprintf(&b, "busy_us=%.1f idle_us=%.1f", us(busy), us(total-busy))
	return b.String()
}

// procCPU is a process's user and system CPU seconds so far (0 if it is
// gone).
func procCPU(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces: fields
	// count from after its closing one (utime, stime are fields 14, 15).
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / clockTicks
}

// machineCPU is the machine's busy and total CPU seconds so far, over all
// cores (/proc/stat's first line; idle and iowait count as not busy).
func machineCPU() (busy, total float64) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i >= 8 { // guest time is already in user
			break
		}
		total += n
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy / clockTicks, total / clockTicks
}
