package storebench

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkRawCommit is one small Put per bbolt transaction on a real file
// with the store's options: the floor under a lone verdict's latency.
func BenchmarkRawCommit(b *testing.B) {
	db, err := openBaseline(filepath.Join(b.TempDir(), "baseline.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for i := range b.N {
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(baselineBucket).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), baselineValue)
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCommits: the baseline commits on a real file, from each goroutine,
// and reports one latency a commit.
func TestCommits(t *testing.T) {
	lats, err := Commits(filepath.Join(t.TempDir(), "baseline.db"), 2, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(lats) < 2 {
		t.Fatalf("%d commits in 50ms from 2 goroutines", len(lats))
	}
	for _, l := range lats {
		if l <= 0 {
			t.Fatalf("a commit took %v", l)
		}
	}
}
