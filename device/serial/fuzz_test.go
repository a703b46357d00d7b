package serial

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeFrame asserts of any bytes that DecodeFrame never panics and
// consumes what its error says (nothing when short or of a bad length, the
// whole frame on a bad checksum); that a frame which decodes has a checksum
// that sums with its bytes to zero and encodes back to exactly the bytes it
// came from; and that a frame built from the input survives
// EncodeFrame → DecodeFrame, with trailing bytes left alone and a
// corrupted checksum refused.
func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range []Frame{
		{Opcode: OpDecodeData, Source: SourceDecoder, Data: []byte{0x0B, '6', '9', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '2'}},
		{Opcode: OpDecodeData, Source: SourceDecoder, Status: StatusContinuation, Data: []byte{0x0F, ']', 'C', '1', '0', '1'}},
		{Opcode: OpCmdAck, Source: SourceDecoder},
		{Opcode: OpCmdNak, Source: SourceDecoder, Data: []byte{NakDenied}},
		{Opcode: OpParamSend, Source: SourceHost, Status: StatusPermanent, Data: []byte{0xFF, 0xEE, 0x01}},
	} {
		f.Add(mustEncode(fr))
	}
	f.Add([]byte{0x03, 0xD0, 0x00, 0x00, 0xFF, 0x2D})
	f.Add([]byte{0x04, 0xD0, 0x00, 0x00, 0xFF, 0x2D})

	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := DecodeFrame(b)
		switch {
		case err == nil:
			if n != int(b[0])+2 || n > len(b) {
				t.Fatalf("DecodeFrame(% x) took %d bytes", b, n)
			}
			var sum uint16
			for _, c := range b[:n-2] {
				sum += uint16(c)
			}
			if sum+(uint16(b[n-2])<<8|uint16(b[n-1])) != 0 {
				t.Fatalf("DecodeFrame(% x) accepted a bad checksum", b)
			}
			enc, err := EncodeFrame(fr)
			if err != nil || !bytes.Equal(enc, b[:n]) {
				t.Fatalf("DecodeFrame(% x) = %+v, which encodes to % x (%v)", b, fr, enc, err)
			}
		case errors.Is(err, ErrFrameShort):
			if n != 0 || (len(b) > 0 && len(b) >= int(b[0])+2) {
				t.Fatalf("DecodeFrame(% x): short after %d of %d bytes", b, n, len(b))
			}
		case errors.Is(err, ErrFrameLength):
			if n != 0 || b[0] >= 4 {
				t.Fatalf("DecodeFrame(% x): bad length, took %d", b, n)
			}
		case errors.Is(err, ErrFrameChecksum):
			if n != int(b[0])+2 {
				t.Fatalf("DecodeFrame(% x): bad checksum, took %d", b, n)
			}
		default:
			t.Fatalf("DecodeFrame(% x): unexpected error %v", b, err)
		}

		if len(b) < 3 {
			return
		}
		want := Frame{Opcode: b[0], Source: b[1], Status: b[2], Data: append([]byte{}, b[3:]...)}
		enc, err := EncodeFrame(want)
		if len(want.Data) > 251 {
			if !errors.Is(err, ErrFrameLength) {
				t.Fatalf("EncodeFrame of %d data bytes: %v", len(want.Data), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("EncodeFrame(%+v): %v", want, err)
		}
		stream := append(append([]byte{}, enc...), b...)
		got, n, err := DecodeFrame(stream)
		if err != nil || n != len(enc) || got.Opcode != want.Opcode || got.Source != want.Source ||
			got.Status != want.Status || !bytes.Equal(got.Data, want.Data) {
			t.Fatalf("DecodeFrame(EncodeFrame(%+v)) = %+v, %d, %v", want, got, n, err)
		}
		enc[len(enc)-1]++
		if _, n, err := DecodeFrame(enc); !errors.Is(err, ErrFrameChecksum) || n != len(enc) {
			t.Fatalf("corrupted checksum: %d, %v", n, err)
		}
	})
}

// memPort is a serial line that delivers in, chunk bytes per Read, then
// reports io.EOF, and records what is written.
type memPort struct {
	in     []byte
	chunk  int
	writes [][]byte
}

func (p *memPort) Read(b []byte) (int, error) {
	if len(p.in) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.in[:min(p.chunk, len(p.in))])
	p.in = p.in[n:]
	return n, nil
}

func (p *memPort) Write(b []byte) (int, error) {
	p.writes = append(p.writes, append([]byte(nil), b...))
	return len(b), nil
}

func (p *memPort) Close() error                    { return nil }
func (p *memPort) SetReadDeadline(time.Time) error { return nil }

// runSSI runs the SSI driver over stream read chunk bytes at a time until
// the stream ends, and returns the scans delivered and the bytes written.
func runSSI(t *testing.T, stream []byte, chunk int) ([]Scan, [][]byte) {
	t.Helper()
	p := &memPort{in: stream, chunk: chunk}
	var scans []Scan
	err := NewSSI(p, nil, SSIConfig{}).Run(context.Background(), func(s Scan) { scans = append(scans, s) })
	if !errors.Is(err, io.EOF) {
		t.Fatalf("Run over % x: %v, want the end of the stream", stream, err)
	}
	return scans, p.writes
}

// FuzzSSIStream builds a stream of valid SSI packets from the input (each
// packet: a selector byte choosing decode data, ACK, NAK or another
// opcode; a status byte keeping the retransmit and continuation bits; a
// data length; the data), runs the driver over it in reads of 1 to 32
// bytes, and asserts that the scans delivered and the ACKs written are
// exactly those the SSI Programmer's Guide asks for: every decode and
// scanner packet ACKed, continuations joined, a retransmit of the packet
// just handled dropped — whatever the read boundaries.
func FuzzSSIStream(f *testing.F) {
	f.Add([]byte{0, 0, 5, 0x0B, '1', '2', '3', '4'}, byte(0))
	f.Add([]byte{0, 2, 3, 0x0F, ']', 'C', 0, 0, 3, 0x0F, '1', '0', 0, 1, 3, 0x0F, '1', '0'}, byte(3))
	f.Add([]byte{2, 0, 0, 3, 0, 1, 6, 0xF6, 0, 2, 0x01, 0x02}, byte(1))
	f.Add([]byte{0, 0, 2, 0x03, 'A', 0, 1, 2, 0x03, 'A', 0, 0, 2, 0x03, 'A'}, byte(31))

	f.Fuzz(func(t *testing.T, ops []byte, chunk byte) {
		var (
			stream        []byte
			want          []Scan
			acks          int
			pending, last []byte
			typ           byte
		)
		for len(ops) >= 3 {
			fr := Frame{Source: SourceDecoder, Status: ops[1] & (StatusRetransmit | StatusContinuation)}
			switch ops[0] % 4 {
			case 0, 1:
				fr.Opcode = OpDecodeData
			case 2:
				fr.Opcode = OpCmdAck
			case 3:
				fr.Opcode = ops[0]
			}
			n := min(int(ops[2]%32), len(ops)-3)
			fr.Data = ops[3 : 3+n]
			ops = ops[3+n:]
			stream = append(stream, mustEncode(fr)...)

			switch fr.Opcode {
			case OpCmdAck, OpCmdNak:
				continue
			case OpDecodeData:
			default:
				acks++
				continue
			}
			acks++
			if fr.Status&StatusRetransmit != 0 && last != nil && bytes.Equal(fr.Data, last) {
				continue
			}
			last = fr.Data
			if len(fr.Data) == 0 {
				continue
			}
			if pending == nil {
				typ = fr.Data[0]
			}
			pending = append(pending, fr.Data[1:]...)
			if fr.Status&StatusContinuation == 0 {
				want = append(want, newScan(string(pending), ssiSymbology(typ)))
				pending = nil
			}
		}
		for _, size := range []int{len(stream) + 1, int(chunk%32) + 1} {
			scans, writes := runSSI(t, stream, size)
			if !reflect.DeepEqual(scans, want) && (len(scans) > 0 || len(want) > 0) {
				t.Fatalf("reads of %d bytes of % x: scans %+q, want %+q", size, stream, scans, want)
			}
			if len(writes) != acks {
				t.Fatalf("reads of %d bytes of % x: %d writes, want %d ACKs", size, stream, len(writes), acks)
			}
			for _, w := range writes {
				if !bytes.Equal(w, ssiAck) {
					t.Fatalf("wrote % x, want an ACK % x", w, ssiAck)
				}
			}
		}
	})
}

// FuzzSSIGarbage runs the driver over arbitrary bytes in reads of 1 to 32
// bytes and asserts that it never panics, reads to the end, answers only
// with ACK or NAK packets, and delivers no more scans than it ACKed
// decode packets.
func FuzzSSIGarbage(f *testing.F) {
	f.Add(mustEncode(Frame{Opcode: OpDecodeData, Data: []byte{0x0B, '1', '2'}}), byte(0))
	f.Add(append([]byte{0x02, 0xFF}, mustEncode(Frame{Opcode: OpDecodeData, Data: []byte{0x0B, '1'}})...), byte(2))
	f.Add([]byte{0x06, 0xF3, 0x00, 0x00, 0x0B, 0x31, 0x00, 0x00}, byte(4))
	f.Fuzz(func(t *testing.T, b []byte, chunk byte) {
		scans, writes := runSSI(t, b, int(chunk%32)+1)
		acks := 0
		for _, w := range writes {
			switch {
			case bytes.Equal(w, ssiAck):
				acks++
			case bytes.Equal(w, ssiNak):
			default:
				t.Fatalf("wrote % x, neither ACK nor NAK", w)
			}
		}
		if len(scans) > acks {
			t.Fatalf("%d scans from %d ACKed packets", len(scans), acks)
		}
	})
}
