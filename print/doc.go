// Package print turns queued print jobs into labels on real printers: it
// renders each job's label for the printer that will print it, checks the
// printer's state before and after, holds a job while its printer is in a
// fault and releases it when the fault clears, retries transport errors
// with backoff, fails over to another printer of the pack station, and ends
// every job printed, or failed with the reason, in the durable queue.
//
// It holds no state of its own: the queue is the store's, the label model is
// package label, the printers are package printer.
package print
