// Package printer talks to thermal label and receipt printers over their real
// transports (raw TCP port 9100, the kernel's USB printer class device, serial
// lines) and asks them for their real state before and after every job.
//
// A printer on port 9100 never refuses a job: it accepts the bytes whether its
// head is open or its paper is out, and the label silently never appears. So
// Print polls status first (and refuses the job if the printer is not ready),
// sends, then polls again to catch a fault that appeared while printing.
//
// Status commands implemented (per the vendors' programming manuals):
//   - ZPL II: ~HS "Host Status Return" (ZPL II Programming Guide, ~HS).
//   - TSPL/TSPL2: <ESC>!? "status poll" (TSPL/TSPL2 Programming Manual,
//     "Real-time status inquiry").
//   - ESC/POS: DLE EOT n "transmit real-time status", n = 2 (offline cause)
//     and n = 4 (roll paper sensor).
//   - EPL2: ^ee "Error Report" (EPL2 Programmer's Manual, ^ee, and its
//     error/status code table): 07 paper or ribbon empty, 11 head open,
//     12 paused, 50 busy printing.
//
// This package must not render labels or decide what to print; it moves
// bytes and reports state. A serial printer's line is opened with
// internal/serialline, which owns go.bug.st/serial.
package printer
