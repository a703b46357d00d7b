package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// Verification of a database file: a backup before it is kept, a file
// before a restore puts it in place.
//
// A backup may come from anywhere: a disk that filled up, a copy cut short,
// a USB stick, a hand that edited it. bbolt trusts its file: it maps it and
// follows page ids and offsets wherever they point, so a truncated file
// ends the process with SIGBUS before any error can be returned, and a page
// with wrong bytes faults or panics in one of bbolt's own goroutines. So
// verify checks in layers, each of which makes the next one safe to run:
//
//  1. the layout, with plain reads, before anything maps the file: its
//     size, both meta pages (magic, format version, checksum, page size) and
//     that the file holds every page the meta page in use counts
//     (readLayout);
//  2. the page tree, with plain reads: every page reachable from the root
//     lies below the high-water mark, is a branch or leaf page naming its
//     own id, is reached once, and every element, key, value and inline
//     bucket lies inside its page (checkPages). Past this, nothing bbolt
//     reads lies outside the file;
//  3. bbolt's consistency check, on the file opened read-only;
//  4. every record of every bucket, decoded as the gateway reads it, and
//     what the gateway assumes across buckets (checkRecords), then the
//     gateway's own loader (load) over the file as it stands;
//  5. the gateway's own Open, on a throwaway copy (openCopy): a file that
//     passes verify is one `floorgate run` starts on.

// bbolt's file layout (go.etcd.io/bbolt, internal/common: page.go, meta.go,
// bucket.go). Integers are in the byte order of the machine that wrote the
// file; a gateway reads only files written on its own architecture.
const (
	boltMagic   = 0xED0CDAED
	boltVersion = 2
	// A page starts with its id (u64), flags (u16), count of elements
	// (u16) and count of overflow pages that follow it (u32).
	pageHeaderSize = 16
	// The meta follows a meta page's header: magic, version, page size,
	// flags (u32 each), the root bucket (root page id, sequence), freelist
	// page id, high-water mark (pages in use are below it), transaction id
	// and an FNV-64a checksum of what precedes it (u64 each).
	metaSize     = 64
	metaChecksum = 56
	// The elements follow a branch or leaf page's header, then the keys and
	// values they point at, relative to the element's own offset. A branch
	// element is pos, key size (u32) and child page id (u64); a leaf
	// element is flags, pos, key size and value size (u32 each).
	elementSize = 16
	// A leaf element flagged as a bucket holds the bucket's root page id
	// and sequence (u64 each); root page 0 means the bucket's page follows
	// inline, in the value.
	bucketHeaderSize = 16
	bucketElement    = 0x01

	branchPage   = 0x01
	leafPage     = 0x02
	freelistPage = 0x10

	noFreelist = ^uint64(0)
	// minPageSize and maxPageSize bound the page sizes bbolt looks for a
	// second meta page at.
	minPageSize = 1 << 10
	maxPageSize = 1 << 24
	// maxTreeDepth bounds the page tree: a B+tree of 2^64 keys is shallower.
	maxTreeDepth = 64
)

var native = binary.NativeEndian

// fileLayout is where a bbolt file keeps its pages, as the meta page bbolt
// uses (the valid one with the higher transaction id) says.
type fileLayout struct {
	pageSize uint64
	root     uint64 // the root bucket's page
	freelist uint64 // noFreelist: rebuilt at open (floorgate's files)
	hwm      uint64 // high-water mark: every page in use is below it
}

// boltMeta is a meta page's content.
type boltMeta struct {
	pageSize                  uint64
	root, freelist, hwm, txid uint64
}

// parseMeta reads the meta of the page at the start of b.
func parseMeta(b []byte) (boltMeta, error) {
	var m boltMeta
	if len(b) < pageHeaderSize+metaSize {
		return m, errors.New("cut short")
	}
	b = b[pageHeaderSize : pageHeaderSize+metaSize]
	if v := native.Uint32(b[0:]); v != boltMagic {
		return m, errors.New("no bbolt magic number")
	}
	if v := native.Uint32(b[4:]); v != boltVersion {
		return m, fmt.Errorf("bbolt format version %d, this floorgate reads %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(b[:metaChecksum])
	if h.Sum64() != native.Uint64(b[metaChecksum:]) {
		return m, errors.New("its checksum does not match")
	}
	m.pageSize = uint64(native.Uint32(b[8:]))
	m.root = native.Uint64(b[16:])
	m.freelist = native.Uint64(b[32:])
	m.hwm = native.Uint64(b[40:])
	m.txid = native.Uint64(b[48:])
	return m, nil
}

// readLayout reads a file's meta pages with plain reads and checks that
// the file holds every page they count: bbolt maps the file and would take
// the process down with SIGBUS on reading a page past its end.
func readLayout(f io.ReaderAt, size int64) (fileLayout, error) {
	var l fileLayout
	if size == 0 {
		return l, errors.New("the file is empty (0 bytes): not a floorgate backup")
	}
	metaAt := func(off uint64) (boltMeta, error) {
		buf := make([]byte, pageHeaderSize+metaSize)
		if off > uint64(size) || uint64(size)-off < uint64(len(buf)) {
			return boltMeta{}, errors.New("past the end of the file")
		}
		if _, err := f.ReadAt(buf, int64(off)); err != nil {
			return boltMeta{}, err
		}
		return parseMeta(buf)
	}
	// bbolt takes the page size from the first meta page, or else from a
	// second one found at a page size it tries.
	m0, err0 := metaAt(0)
	pageSize := m0.pageSize
	if err0 != nil {
		for ps := uint64(minPageSize); ps <= maxPageSize; ps <<= 1 {
			if m, err := metaAt(ps); err == nil {
				pageSize = m.pageSize
				break
			}
		}
	}
	if pageSize == 0 {
		if size < pageHeaderSize+metaSize {
			magic := make([]byte, 4)
			if _, err := f.ReadAt(magic, pageHeaderSize); err == nil && native.Uint32(magic) == boltMagic {
				return l, fmt.Errorf("the file is truncated: %d bytes, the header alone needs %d", size, pageHeaderSize+metaSize)
			}
			return l, fmt.Errorf("not a floorgate backup: %d bytes is too short for a database", size)
		}
		return l, fmt.Errorf("not a floorgate backup: no valid database header (%v)", err0)
	}
	if pageSize < minPageSize || pageSize > maxPageSize || pageSize&(pageSize-1) != 0 {
		return l, fmt.Errorf("damaged: its header gives a page size of %d bytes", pageSize)
	}
	// Of the meta pages at the start of the first two pages, bbolt uses the
	// valid one with the higher transaction id.
	m0, err0 = metaAt(0)
	m1, err1 := metaAt(pageSize)
	var m boltMeta
	switch {
	case err0 == nil && (err1 != nil || m0.txid >= m1.txid):
		m = m0
	case err1 == nil:
		m = m1
	default:
		if uint64(size) < 2*pageSize {
			return l, fmt.Errorf("the file is truncated: %d bytes, its pages need at least %d", size, 2*pageSize)
		}
		return l, fmt.Errorf("damaged: neither meta page is valid (first: %v; second: %v)", err0, err1)
	}
	if m.pageSize != pageSize {
		return l, fmt.Errorf("damaged: the meta pages disagree on the page size (%d, %d)", pageSize, m.pageSize)
	}
	l.pageSize, l.root, l.freelist, l.hwm = pageSize, m.root, m.freelist, m.hwm
	if l.hwm < 3 || l.hwm > uint64(1)<<63/pageSize {
		return l, fmt.Errorf("damaged: its meta page counts %d pages", l.hwm)
	}
	if need := l.hwm * pageSize; uint64(size) < need {
		return l, fmt.Errorf("the file is truncated: %d bytes, its pages need %d", size, need)
	}
	if l.root < 2 || l.root >= l.hwm {
		return l, fmt.Errorf("damaged: the root bucket is page %d, outside the file's pages 2…%d", l.root, l.hwm-1)
	}
	if l.freelist != noFreelist && (l.freelist < 2 || l.freelist >= l.hwm) {
		return l, fmt.Errorf("damaged: the freelist is page %d, outside the file's pages 2…%d", l.freelist, l.hwm-1)
	}
	return l, nil
}

// pageWalker reads a bbolt file's page tree with plain reads.
type pageWalker struct {
	f    io.ReaderAt
	l    fileLayout
	seen []uint64 // a bit per page: reached already
}

// checkPages checks that every page reachable from the root (and the
// freelist page, when the file keeps one) lies inside the file, is of the
// type it is reached as, is reached once, and holds its elements, keys,
// values and inline buckets inside itself: everything bbolt follows when
// it reads the file.
func checkPages(f io.ReaderAt, l fileLayout) error {
	w := &pageWalker{f: f, l: l, seen: make([]uint64, (l.hwm+63)/64)}
	if l.freelist != noFreelist {
		if err := w.freelistPage(l.freelist); err != nil {
			return err
		}
	}
	return w.tree(l.root, rootBucket, 0)
}

// rootBucket names the bucket of buckets in messages.
const rootBucket = "the root bucket"

// page reads page id and its overflow pages, marking them reached.
func (w *pageWalker) page(id uint64, of string) ([]byte, error) {
	if id < 2 || id >= w.l.hwm {
		return nil, fmt.Errorf("page %d of %s is outside the file's pages 2…%d", id, of, w.l.hwm-1)
	}
	head := make([]byte, pageHeaderSize)
	if _, err := w.f.ReadAt(head, int64(id*w.l.pageSize)); err != nil {
		return nil, fmt.Errorf("page %d of %s: %w", id, of, err)
	}
	if self := native.Uint64(head); self != id {
		return nil, fmt.Errorf("page %d of %s says it is page %d", id, of, self)
	}
	overflow := uint64(native.Uint32(head[12:]))
	if overflow >= w.l.hwm-id {
		return nil, fmt.Errorf("page %d of %s runs %d pages past the file's last page", id, of, id+overflow+1-w.l.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if w.seen[p/64]&(1<<(p%64)) != 0 {
			return nil, fmt.Errorf("page %d of %s is reached twice", p, of)
		}
		w.seen[p/64] |= 1 << (p % 64)
	}
	buf := make([]byte, (overflow+1)*w.l.pageSize)
	if _, err := w.f.ReadAt(buf, int64(id*w.l.pageSize)); err != nil {
		return nil, fmt.Errorf("page %d of %s: %w", id, of, err)
	}
	return buf, nil
}

// tree checks the branch or leaf page id of bucket and what it leads to.
func (w *pageWalker) tree(id uint64, bucket string, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("the pages of %s nest deeper than %d levels", bucket, maxTreeDepth)
	}
	p, err := w.page(id, bucket)
	if err != nil {
		return err
	}
	return w.elements(p, false, fmt.Sprintf("page %d of %s", id, bucket), bucket, depth)
}

// elements checks the elements of the branch or leaf page p (a whole page
// with its overflow, or an inline bucket's page) and follows them.
func (w *pageWalker) elements(p []byte, inline bool, where, bucket string, depth int) error {
	if len(p) < pageHeaderSize {
		return fmt.Errorf("%s is cut short", where)
	}
	flags, count := native.Uint16(p[8:]), uint64(native.Uint16(p[10:]))
	switch {
	case flags == leafPage:
	case flags == branchPage && !inline && count > 0:
	default:
		return fmt.Errorf("%s is not a page of keys (type %#x, %d elements)", where, flags, count)
	}
	if pageHeaderSize+count*elementSize > uint64(len(p)) {
		return fmt.Errorf("%s: its %d elements do not fit in it", where, count)
	}
	// bbolt writes each element's key and value after the elements, in
	// the elements' order, one after the other: a page whose elements
	// point elsewhere (back into the elements, past the page, at each
	// other's bytes) is damaged.
	next := pageHeaderSize + count*elementSize
	for i := range count {
		e := pageHeaderSize + i*elementSize
		el := p[e : e+elementSize]
		var kind uint32
		var pos, ksize, vsize uint64
		if flags == branchPage {
			pos, ksize = uint64(native.Uint32(el)), uint64(native.Uint32(el[4:]))
		} else {
			kind, pos = native.Uint32(el), uint64(native.Uint32(el[4:]))
			ksize, vsize = uint64(native.Uint32(el[8:])), uint64(native.Uint32(el[12:]))
		}
		start := e + pos
		if start < next || start+ksize+vsize > uint64(len(p)) {
			return fmt.Errorf("%s: element %d points outside its place in the page", where, i)
		}
		next = start + ksize + vsize
		switch {
		case flags == branchPage:
			if err := w.tree(native.Uint64(el[8:]), bucket, depth+1); err != nil {
				return err
			}
		case kind&bucketElement == 0:
		case inline:
			// bbolt keeps a bucket inline only when it holds no bucket.
			return fmt.Errorf("%s: element %d is a bucket inside an inline bucket", where, i)
		default:
			key := p[start : start+ksize]
			name := fmt.Sprintf("bucket %q", key)
			if bucket != rootBucket {
				name = fmt.Sprintf("%s/%q", bucket, key)
			}
			if err := w.bucket(p[start+ksize:next], name, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// bucket checks a bucket's value in its parent: its root page, or its page
// inline.
func (w *pageWalker) bucket(v []byte, name string, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%s nests deeper than %d levels", name, maxTreeDepth)
	}
	if len(v) < bucketHeaderSize {
		return fmt.Errorf("%s: its header is %d bytes, want %d", name, len(v), bucketHeaderSize)
	}
	if root := native.Uint64(v); root != 0 {
		return w.tree(root, name, depth)
	}
	return w.elements(v[bucketHeaderSize:], true, name+" (inline)", name, depth)
}

// freelistPage checks a freelist page kept in the file: its ids inside it
// and below the high-water mark.
func (w *pageWalker) freelistPage(id uint64) error {
	p, err := w.page(id, "the freelist")
	if err != nil {
		return err
	}
	if flags := native.Uint16(p[8:]); flags != freelistPage {
		return fmt.Errorf("the freelist's page %d has type %#x", id, flags)
	}
	// A count of 0xFFFF means the count is the first id's place.
	start, count := uint64(pageHeaderSize), uint64(native.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			return fmt.Errorf("the freelist's page %d is cut short", id)
		}
		start, count = pageHeaderSize+8, native.Uint64(p[pageHeaderSize:])
	}
	if count > (uint64(len(p))-start)/8 {
		return fmt.Errorf("the freelist's page %d: its %d ids do not fit in it", id, count)
	}
	for i := range count {
		if free := native.Uint64(p[start+8*i:]); free < 2 || free >= w.l.hwm {
			return fmt.Errorf("the freelist names page %d, outside the file's pages 2…%d", free, w.l.hwm-1)
		}
	}
	return nil
}

// problems collects what verification finds wrong, listing the first
// maxCheckErrors.
type problems struct {
	n    int
	list []string
}

func (p *problems) add(format string, args ...any) {
	p.n++
	if len(p.list) < maxCheckErrors {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

func (p *problems) err(what string) error {
	if p.n == 0 {
		return nil
	}
	more := ""
	if p.n > len(p.list) {
		more = fmt.Sprintf("\n  … and %d more", p.n-len(p.list))
	}
	n := fmt.Sprintf("%d problems", p.n)
	if p.n == 1 {
		n = "1 problem"
	}
	return fmt.Errorf("%s found %s:\n  %s%s", what, n, strings.Join(p.list, "\n  "), more)
}

// verify checks the file at path in the layers described above; its
// errors do not name the file (the callers do).
func verify(path string) (FileReport, error) {
	r := FileReport{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	// Closing it lets go of the lock, after bbolt and the copy are done.
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return r, err
	}
	r.Size = fi.Size()
	if !fi.Mode().IsRegular() {
		return r, errors.New("not a regular file")
	}
	if err := lockShared(f); err != nil {
		return r, err
	}
	l, err := readLayout(f, fi.Size())
	if err == nil {
		err = checkPages(f, l)
	}
	if err != nil {
		return r, err
	}
	bdb, err := openReadOnly(path)
	if err != nil {
		return r, err
	}
	var site floorgate.Site
	err = bdb.View(func(tx *bolt.Tx) error {
		var err error
		site, err = verifyTx(tx, &r)
		return err
	})
	if cerr := bdb.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return r, err
	}
	if err := openCopy(path, site); err != nil {
		return r, fmt.Errorf("the gateway would not open it: %w", err)
	}
	return r, nil
}

// lockShared takes a shared lock on f, as bbolt's read-only open does, so
// that no gateway writes the file while its pages are read: a gateway
// that holds it for probeTimeout is ErrInUse.
func lockShared(f *os.File) error {
	deadline := time.Now().Add(probeTimeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return ErrInUse
		}
		time.Sleep(probeTimeout / 10)
	}
}

// verifyTx runs bbolt's consistency check and checks every record, in a
// read transaction of the file opened read-only. It returns the site the
// file belongs to. A fault or a panic in reading the mapped file (which
// checkPages should leave none of) is an error, not the end of the process.
func verifyTx(tx *bolt.Tx, r *FileReport) (site floorgate.Site, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("damaged page: %v", p)
		}
	}()
	// bbolt's check rebuilds the freelist first (it is not stored in the
	// file) in a goroutine of its own, which would take the process with
	// it on a page it cannot read. checkPages made sure there is none;
	// reading every key here first costs little and is the second line.
	if err := walk(tx); err != nil {
		r.CheckErrors++
		return site, fmt.Errorf("consistency check: %w", err)
	}
	var check problems
	for err := range tx.Check() {
		r.CheckErrors++
		check.add("%v", err)
	}
	if err := check.err("bbolt's consistency check"); err != nil {
		return site, err
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return site, errors.New("not a floorgate database: no meta bucket")
	}
	if v := meta.Get(keySchema); len(v) == 8 {
		r.Schema = seqOf(v)
	} else {
		return site, errors.New("not a floorgate database: no schema version")
	}
	if r.Schema > SchemaVersion {
		return site, fmt.Errorf("database schema %d is newer than this floorgate's %d: restore it with the floorgate that wrote it",
			r.Schema, SchemaVersion)
	}
	c := newChecker(tx, r.Schema)
	c.records()
	c.crossReferences()
	r.Records, r.Problems = c.count, c.n
	if err := c.err("checking every record"); err != nil {
		return site, err
	}
	site = c.site
	r.DBID, r.Site, r.Gateway = c.dbID, site.ID, site.Gateway
	// A database from before incarnations has its id as its first one.
	r.Incarnation = cmp.Or(c.incarnation, c.dbID)
	r.Events, r.FirstSeq, r.LastSeq, r.Acked = c.events, c.firstSeq, c.lastSeq, c.acked
	r.Steps = c.steps
	// The gateway's own loader, as it runs at open, over the file as it is.
	// A file of an older schema is migrated first: openCopy loads it.
	if r.Schema == SchemaVersion {
		if _, err := load(tx); err != nil {
			return site, err
		}
	}
	return site, nil
}

// walk reads every key of every bucket, turning bbolt's panic on a
// damaged page into an error.
func walk(tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged page: %v", r)
		}
	}()
	var bucket func(b *bolt.Bucket) error
	bucket = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if sub := b.Bucket(k); sub != nil {
					return bucket(sub)
				}
			}
			return nil
		})
	}
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return bucket(b) })
}

// openCopy opens a copy of the file with the gateway's own Open (which
// migrates, loads, replays the step log and checkpoints) and closes it.
// The copy goes beside the file when its directory is writable, else in
// the temporary directory, and is removed whatever happens.
func openCopy(path string, site floorgate.Site) error {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".floorgate-verify-*")
	if err != nil {
		if dir, err = os.MkdirTemp("", "floorgate-verify-*"); err != nil {
			return err
		}
	}
	defer os.RemoveAll(dir)
	cp, err := copyToTemp(path, dir)
	if err != nil {
		return err
	}
	db, err := Open(cp, Options{Site: site, Logger: slog.New(slog.DiscardHandler), OpenTimeout: probeTimeout})
	if err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), cp, "the copy"))
	}
	return db.Close()
}

// bucketsSince is the schema version whose migration creates each bucket:
// a file of that version or later must have it. TestBucketsSince keeps it
// in step with the migrations.
var bucketsSince = []struct {
	name  []byte
	since uint64
}{
	{bucketMeta, 1}, {bucketLocations, 1}, {bucketItems, 1}, {bucketOperators, 1}, {bucketDevices, 1},
	{bucketTasks, 1}, {bucketSessions, 1}, {bucketVerdicts, 1}, {bucketSteps, 1}, {bucketJournal, 1}, {bucketOutbox, 1},
	{bucketDeadLetters, 2}, {bucketCommands, 2}, {bucketShipments, 2}, {bucketSerials, 2}, {bucketIntercepts, 2},
	{bucketPrintJobs, 2},
	{bucketAudit, 3},
	{bucketTokens, 4},
	{bucketWaves, 5},
	{bucketCarts, 6}, {bucketTotes, 6}, {bucketBindings, 6}, {bucketWalls, 6}, {bucketBatches, 6},
	{bucketParcels, 7},
	{bucketTimelines, 8},
	{bucketExceptions, 9},
}

// checker decodes every record of a floorgate file as the gateway reads it
// and checks what the gateway assumes across records.
type checker struct {
	problems
	tx     *bolt.Tx
	schema uint64

	count int
	site  floorgate.Site
	dbID  string
	// incarnation is the stored incarnation's id; empty before incarnations.
	incarnation string

	acked             uint64
	events            int
	firstSeq, lastSeq uint64
	steps             int
	locations, items  map[string]bool
	operators, tasks  map[string]bool
	barcodes          map[string]string // barcode key → what it names
	badges            map[string]string // badge → operator id
	waves             map[string]floorgate.WaveStatus
	open              []*floorgate.Task
	sessions          []floorgate.Session
}

func newChecker(tx *bolt.Tx, schema uint64) *checker {
	return &checker{tx: tx, schema: schema,
		locations: map[string]bool{}, items: map[string]bool{},
		operators: map[string]bool{}, tasks: map[string]bool{},
		barcodes: map[string]string{}, badges: map[string]string{}, waves: map[string]floorgate.WaveStatus{}}
}

// decodeRecord decodes one stored record as every reader of its bucket
// does: the loader at open (each) and verification share it.
func decodeRecord[T any](v []byte) (*T, error) {
	t := new(T)
	if err := json.Unmarshal(v, t); err != nil {
		return nil, err
	}
	return t, nil
}

// seqKeyed are the buckets keyed by 8-byte big-endian sequence numbers.
var seqKeyed = [][]byte{bucketJournal, bucketSteps, bucketDeadLetters, bucketAudit}

// bad records a problem with the record k of bucket.
func (c *checker) bad(bucket, k []byte, format string, args ...any) {
	key := fmt.Sprintf("%q", k)
	if len(k) == 8 && slices.ContainsFunc(seqKeyed, func(b []byte) bool { return string(b) == string(bucket) }) {
		key = fmt.Sprintf("seq %d", seqOf(k))
	}
	c.add("bucket %s, key %s: %s", bucket, key, fmt.Sprintf(format, args...))
}

// records checks every record of every bucket the file's schema has.
func (c *checker) records() {
	for _, b := range bucketsSince {
		if b.since <= c.schema && c.tx.Bucket(b.name) == nil {
			c.add("bucket %s is missing", b.name)
		}
	}
	// The outbox first: the journal's checks need its watermark.
	c.each(bucketMeta, c.meta)
	c.each(bucketOutbox, c.outbox)
	c.each(bucketLocations, func(k, v []byte) error {
		l, err := decodeRecord[floorgate.Location](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketLocations, k, l.Code, "code")
		c.locations[l.Code] = true
		c.barcode(bucketLocations, k, l.Barcode, "location "+l.Code)
		return nil
	})
	c.each(bucketItems, func(k, v []byte) error {
		it, err := decodeRecord[floorgate.Item](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketItems, k, it.SKU, "sku")
		c.items[it.SKU] = true
		for _, b := range it.Barcodes {
			c.barcode(bucketItems, k, b, "item "+it.SKU)
		}
		return nil
	})
	c.each(bucketOperators, func(k, v []byte) error {
		o, err := decodeRecord[floorgate.Operator](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketOperators, k, o.ID, "id")
		c.operators[o.ID] = true
		if !floorgate.ValidPINHash(o.PINHash) {
			c.bad(bucketOperators, k, "pin_hash is not a PIN hash: the operator could never sign in")
		}
		if other, dup := c.badges[o.Badge]; dup {
			c.bad(bucketOperators, k, "badge %q is also operator %s's", o.Badge, other)
		}
		c.badges[o.Badge] = o.ID
		return nil
	})
	c.each(bucketDevices, func(k, v []byte) error {
		d, err := decodeRecord[floorgate.Device](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketDevices, k, d.ID, "id")
		return nil
	})
	c.each(bucketTokens, func(k, v []byte) error {
		t, err := decodeRecord[APIToken](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketTokens, k, t.ID, "id")
		return nil
	})
	c.each(bucketCarts, func(k, v []byte) error {
		cart, err := decodeRecord[floorgate.Cart](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketCarts, k, cart.ID, "id")
		c.barcode(bucketCarts, k, cart.Barcode, "cart "+cart.ID)
		if cart.Slots < 1 || cart.Slots > floorgate.MaxCartSlots {
			c.bad(bucketCarts, k, "%d slots: a cart has 1 to %d", cart.Slots, floorgate.MaxCartSlots)
		}
		return nil
	})
	totes := map[string]bool{}
	c.each(bucketTotes, func(k, v []byte) error {
		t, err := decodeRecord[floorgate.Tote](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketTotes, k, t.ID, "id")
		c.barcode(bucketTotes, k, t.Barcode, "tote "+t.ID)
		totes[t.ID] = true
		return nil
	})
	c.each(bucketBindings, func(k, v []byte) error {
		b, err := decodeRecord[floorgate.ToteBinding](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketBindings, k, b.Tote, "tote")
		if !totes[b.Tote] {
			c.bad(bucketBindings, k, "tote %q is not in master data", b.Tote)
		}
		return nil
	})
	c.each(bucketWaves, func(k, v []byte) error {
		wv, err := decodeRecord[floorgate.Wave](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketWaves, k, wv.ID, "id")
		switch {
		case wv.Status != floorgate.WaveHeld && wv.Status != floorgate.WaveReleased && wv.Status != floorgate.WaveCompleted:
			c.bad(bucketWaves, k, "status %q is none the gateway knows", wv.Status)
		case wv.Done < 0 || wv.Cancelled < 0 || wv.Open() < 0:
			c.bad(bucketWaves, k, "%d tasks, %d done and %d cancelled do not add up", wv.Tasks, wv.Done, wv.Cancelled)
		case wv.Status == floorgate.WaveCompleted && wv.Open() != 0:
			c.bad(bucketWaves, k, "completed with %d tasks still open", wv.Open())
		}
		c.waves[wv.ID] = wv.Status
		return nil
	})
	c.each(bucketTasks, func(k, v []byte) error {
		t, err := decodeRecord[floorgate.Task](v)
		if err != nil {
			return err
		}
		if t.Status == floorgate.TaskHeld && c.waves[t.Wave] != floorgate.WaveHeld {
			// Nothing would ever release it: it would wait unseen.
			c.bad(bucketTasks, k, "held, but its wave %q is not a held wave", t.Wave)
		}
		c.keyIs(bucketTasks, k, t.ID, "id")
		c.tasks[t.ID] = true
		switch t.Status {
		case floorgate.TaskHeld, floorgate.TaskPending, floorgate.TaskAssigned:
			c.open = append(c.open, t)
		case floorgate.TaskDone, floorgate.TaskCancelled:
		default:
			c.bad(bucketTasks, k, "status %q is none the gateway knows", t.Status)
		}
		return nil
	})
	c.each(bucketSessions, func(k, v []byte) error {
		s, err := decodeRecord[floorgate.Session](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketSessions, k, s.Device, "device")
		c.sessions = append(c.sessions, *s)
		return nil
	})
	c.each(bucketVerdicts, func(k, v []byte) error {
		list, err := decodeRecord[[]keptJSON](v)
		if err != nil {
			return err
		}
		for i, kv := range *list {
			if kv.Device != string(k) {
				c.bad(bucketVerdicts, k, "verdict %d is of device %q", i, kv.Device)
			}
		}
		return nil
	})
	c.each(bucketSteps, func(k, v []byte) error {
		if _, err := decodeRecord[stepRecord](v); err != nil {
			return err
		}
		c.steps++
		return nil
	})
	c.each(bucketJournal, c.event)
	c.each(bucketDeadLetters, func(k, v []byte) error {
		d, err := decodeRecord[DeadLetter](v)
		if err != nil {
			return err
		}
		if d.Seq != seqOf(k) {
			c.bad(bucketDeadLetters, k, "it is of seq %d", d.Seq)
		}
		if c.tx.Bucket(bucketJournal).Get(k) == nil {
			c.bad(bucketDeadLetters, k, "its event is not in the journal")
		}
		return nil
	})
	c.each(bucketCommands, func(k, v []byte) error {
		res, err := decodeRecord[floorgate.CommandResult](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketCommands, k, res.ID, "id")
		return nil
	})
	c.each(bucketShipments, func(k, v []byte) error {
		s, err := decodeRecord[floorgate.Shipment](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketShipments, k, s.Order, "order")
		return nil
	})
	c.each(bucketPrintJobs, func(k, v []byte) error {
		j, err := decodeRecord[floorgate.PrintJob](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketPrintJobs, k, j.ID, "id")
		return nil
	})
	c.each(bucketAudit, func(k, v []byte) error {
		e, err := decodeRecord[AuditEntry](v)
		if err != nil {
			return err
		}
		if e.Seq != seqOf(k) {
			c.bad(bucketAudit, k, "it is entry %d", e.Seq)
		}
		return nil
	})
	// Serial numbers (sku, 0, serial → who picked it) and intercepts
	// (order → reason) are raw bytes: only the key's shape is the
	// gateway's.
	c.each(bucketSerials, func(k, v []byte) error {
		if !slices.Contains(k, 0) {
			c.bad(bucketSerials, k, "the key is not a SKU and a serial number")
		}
		return nil
	})
	c.each(bucketIntercepts, func(k, v []byte) error { return nil })
	c.each(bucketExceptions, func(k, v []byte) error {
		r, err := decodeRecord[caseRecord](v)
		if err != nil {
			return err
		}
		c.keyIs(bucketExceptions, k, r.ID, "id")
		if _, ok := floorgate.ReasonText(r.Reason); !ok {
			c.bad(bucketExceptions, k, "reason %q is not one the gateway knows", r.Reason)
		}
		if (r.Status == floorgate.ExceptionResolved) != (r.Resolution != nil) || r.Status != floorgate.ExceptionOpen && r.Status != floorgate.ExceptionResolved {
			c.bad(bucketExceptions, k, "status %q with resolution %v", r.Status, r.Resolution != nil)
		}
		return nil
	})
}

// each runs fn over every record of bucket (if the file has it), counting
// them; a record that fails, or a nested bucket where a record belongs, is
// a problem.
func (c *checker) each(bucket []byte, fn func(k, v []byte) error) {
	b := c.tx.Bucket(bucket)
	if b == nil {
		return
	}
	seqs := slices.ContainsFunc(seqKeyed, func(s []byte) bool { return string(s) == string(bucket) })
	b.ForEach(func(k, v []byte) error {
		c.count++
		switch {
		case v == nil:
			c.bad(bucket, k, "a nested bucket where a record belongs")
		case seqs && len(k) != 8:
			c.bad(bucket, k, "the key is %d bytes, want an 8-byte sequence number", len(k))
		default:
			if err := fn(k, v); err != nil {
				c.bad(bucket, k, "%v", err)
			}
		}
		return nil
	})
}

// keyIs checks that a record is kept under its own id.
func (c *checker) keyIs(bucket, k []byte, id, field string) {
	if id != string(k) {
		c.bad(bucket, k, "its %s is %q", field, id)
	}
}

// barcode checks that a barcode names one location or item: the gateway
// resolves a scan by it.
func (c *checker) barcode(bucket, k []byte, code, what string) {
	key := barcodeKey(code)
	if other, dup := c.barcodes[key]; dup {
		c.bad(bucket, k, "barcode %q also names %s", code, other)
	}
	c.barcodes[key] = what
}

func (c *checker) meta(k, v []byte) error {
	switch string(k) {
	case string(keySchema):
		if len(v) != 8 {
			c.bad(bucketMeta, k, "the schema version is %d bytes, want 8", len(v))
		}
	case string(keyDBID):
		c.dbID = string(v)
	case string(keyIncarnation):
		inc, _, err := storedIncarnation(c.tx.Bucket(bucketMeta))
		if err != nil {
			return err
		}
		c.incarnation = inc.ID
	case string(keySite):
		if err := json.Unmarshal(v, &c.site); err != nil {
			return err
		}
		if c.site.ID == "" || c.site.Gateway == "" {
			c.bad(bucketMeta, k, "the site id or gateway id is missing")
		}
	}
	return nil
}

func (c *checker) outbox(k, v []byte) error {
	if string(k) == string(keyAcked) {
		if len(v) != 8 {
			c.bad(bucketOutbox, k, "the watermark is %d bytes, want 8", len(v))
		}
		c.acked = acked(c.tx)
	}
	return nil
}

// event checks a journal event as the log reader (Journal) and the
// outbox's drain (pendingOf) read it, and that the journal has no gap
// above the watermark: every event not yet upstream is there.
func (c *checker) event(k, v []byte) error {
	seq := seqOf(k)
	ev, err := decodeRecord[floorgate.Event](v)
	if err != nil {
		return err
	}
	if _, err := pendingOf(seq, v); err != nil {
		c.bad(bucketJournal, k, "%v", err)
	}
	if ev.Seq != seq {
		c.bad(bucketJournal, k, "it is event %d", ev.Seq)
	}
	if c.events == 0 {
		c.firstSeq = seq
	} else if seq > c.acked+1 && seq != c.lastSeq+1 {
		c.bad(bucketJournal, k, "events %d…%d are missing: they are above the outbox watermark %d, not yet upstream",
			max(c.lastSeq+1, c.acked+1), seq-1, c.acked)
	}
	c.events++
	c.lastSeq = seq
	return nil
}

// crossReferences checks what records say of each other.
func (c *checker) crossReferences() {
	if c.dbID == "" {
		c.bad(bucketMeta, keyDBID, "the database id is missing")
	}
	if c.tx.Bucket(bucketMeta) != nil && c.tx.Bucket(bucketMeta).Get(keySite) == nil {
		c.bad(bucketMeta, keySite, "the site is missing")
	}
	if c.acked > c.lastSeq {
		c.bad(bucketOutbox, keyAcked, "the watermark %d is above the journal's last event %d: new events would never go upstream", c.acked, c.lastSeq)
	}
	if c.events > 0 && c.firstSeq > c.acked+1 {
		c.bad(bucketJournal, u64(c.firstSeq), "events %d…%d are missing: they are above the outbox watermark %d, not yet upstream",
			c.acked+1, c.firstSeq-1, c.acked)
	}
	for _, t := range c.open {
		for i, l := range t.Lines {
			if !c.locations[l.Location] {
				c.bad(bucketTasks, []byte(t.ID), "line %d: no location %q", i+1, l.Location)
			}
			if !c.items[l.SKU] {
				c.bad(bucketTasks, []byte(t.ID), "line %d: no item %q", i+1, l.SKU)
			}
		}
		if t.Operator != "" && !c.operators[t.Operator] {
			c.bad(bucketTasks, []byte(t.ID), "assigned to operator %q, who does not exist", t.Operator)
		}
	}
	for _, s := range c.sessions {
		if s.Operator != "" && !c.operators[s.Operator] {
			c.bad(bucketSessions, []byte(s.Device), "signed in as operator %q, who does not exist", s.Operator)
		}
		if s.Task != "" && !c.tasks[s.Task] {
			c.bad(bucketSessions, []byte(s.Device), "on task %q, which does not exist", s.Task)
		}
	}
}
