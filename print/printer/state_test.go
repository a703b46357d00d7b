package printer_test

import (
	"testing"

	"github.com/floorgate/floorgate/print/printer"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		dialect printer.Dialect
		reply   string
		want    printer.State
		wantErr bool
	}{
		// ZPL ~HS replies as a ZD/GK-series printer sends them.
		{"zpl ready", printer.ZPL,
			"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
			printer.State{Online: true}, false},
		{"zpl paper out", printer.ZPL,
			"\x02030,1,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
			printer.State{Online: true, PaperOut: true}, false},
		{"zpl paused", printer.ZPL,
			"\x02030,0,1,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
			printer.State{Online: true, Paused: true}, false},
		{"zpl head up", printer.ZPL,
			"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,1,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
			printer.State{Online: true, HeadOpen: true}, false},
		{"zpl ribbon out", printer.ZPL,
			"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,1,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
			printer.State{Online: true, RibbonOut: true}, false},
		{"zpl printing, formats and labels queued, buffer full, over temp", printer.ZPL,
			"\x02030,0,0,1245,002,1,0,0,000,0,0,1\x03\r\n\x02001,0,0,0,1,2,6,0,00000005,1,000\x03\r\n\x021234,0\x03\r\n",
			printer.State{Online: true, Printing: true, Detail: "receive buffer full; head over temperature"}, false},
		{"zpl leftover CRLF before reply", printer.ZPL,
			"\r\n\x02030,1,1,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,1,1,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
			printer.State{Online: true, PaperOut: true, Paused: true, HeadOpen: true, RibbonOut: true}, false},
		{"zpl garbage", printer.ZPL, "hello", printer.State{}, true},
		{"zpl one string only", printer.ZPL, "\x02030,1,0,1245,000,0,0,0,000,0,0,0\x03\r\n", printer.State{}, true},

		{"tspl ready", printer.TSPL, "\x00", printer.State{Online: true}, false},
		{"tspl head open", printer.TSPL, "\x01", printer.State{Online: true, HeadOpen: true}, false},
		{"tspl paper jam", printer.TSPL, "\x02", printer.State{Online: true, PaperOut: true, Detail: "paper jam"}, false},
		{"tspl paper out", printer.TSPL, "\x04", printer.State{Online: true, PaperOut: true}, false},
		{"tspl ribbon out", printer.TSPL, "\x08", printer.State{Online: true, RibbonOut: true}, false},
		{"tspl pause", printer.TSPL, "\x10", printer.State{Online: true, Paused: true}, false},
		{"tspl printing", printer.TSPL, "\x20", printer.State{Online: true, Printing: true}, false},
		{"tspl head open and paper out", printer.TSPL, "\x05", printer.State{Online: true, HeadOpen: true, PaperOut: true}, false},
		{"tspl other error", printer.TSPL, "\x80", printer.State{Online: true, Detail: "other error"}, false},
		{"tspl empty", printer.TSPL, "", printer.State{}, true},

		{"epl2 ready", printer.EPL2, "00\r\n", printer.State{Online: true}, false},
		{"epl2 paper or ribbon empty", printer.EPL2, "07\r\n", printer.State{Online: true, PaperOut: true, Detail: "paper or ribbon empty"}, false},
		{"epl2 head open", printer.EPL2, "11\r\n", printer.State{Online: true, HeadOpen: true}, false},
		{"epl2 paused", printer.EPL2, "12\r\n", printer.State{Online: true, Paused: true}, false},
		{"epl2 busy", printer.EPL2, "50\r\n", printer.State{Online: true, Printing: true}, false},
		{"epl2 several codes", printer.EPL2, "11,07,12\r\n", printer.State{Online: true, HeadOpen: true, PaperOut: true, Paused: true, Detail: "paper or ribbon empty"}, false},
		{"epl2 syntax error is not a fault", printer.EPL2, "01\r\n", printer.State{Online: true, Detail: "syntax error"}, false},
		{"epl2 unknown code", printer.EPL2, "93\r\n", printer.State{Online: true, Detail: "error 93"}, false},
		{"epl2 stale line before the reply", printer.EPL2, "11\r\n00\r\n", printer.State{Online: true}, false},
		{"epl2 LF only", printer.EPL2, "07\n", printer.State{Online: true, PaperOut: true, Detail: "paper or ribbon empty"}, false},
		{"epl2 garbage", printer.EPL2, "hello\r\n", printer.State{}, true},
		{"epl2 one digit", printer.EPL2, "7\r\n", printer.State{}, true},
		{"epl2 empty", printer.EPL2, "\r\n", printer.State{}, true},

		{"escpos ready", printer.ESCPOS, "\x12\x12", printer.State{Online: true}, false},
		{"escpos cover open", printer.ESCPOS, "\x16\x12", printer.State{Online: true, HeadOpen: true}, false},
		{"escpos paper end stop", printer.ESCPOS, "\x32\x72", printer.State{Online: true, PaperOut: true}, false},
		{"escpos roll sensor paper end only", printer.ESCPOS, "\x12\x72", printer.State{Online: true, PaperOut: true}, false},
		{"escpos paper near end", printer.ESCPOS, "\x12\x1e", printer.State{Online: true, Detail: "paper near end"}, false},
		{"escpos error occurred", printer.ESCPOS, "\x52\x12", printer.State{Online: true, Detail: "error occurred"}, false},
		{"escpos not a status byte", printer.ESCPOS, "\x00\x12", printer.State{}, true},
		{"escpos short", printer.ESCPOS, "\x12", printer.State{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := printer.ParseStatus(tt.dialect, []byte(tt.reply))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseStatus(%q) error = %v, wantErr %v", tt.reply, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseStatus(%q) = %+v, want %+v", tt.reply, got, tt.want)
			}
		})
	}
}

func TestFault(t *testing.T) {
	tests := []struct {
		st   printer.State
		want string
	}{
		{printer.State{Online: true}, ""},
		{printer.State{Online: true, Printing: true, Detail: "x"}, ""},
		{printer.State{}, "offline"},
		{printer.State{PaperOut: true, HeadOpen: true}, "offline"},
		{printer.State{Online: true, PaperOut: true, HeadOpen: true}, "paper out"},
		{printer.State{Online: true, HeadOpen: true, RibbonOut: true}, "head open"},
		{printer.State{Online: true, RibbonOut: true, Paused: true}, "ribbon out"},
		{printer.State{Online: true, Paused: true}, "paused"},
	}
	for _, tt := range tests {
		if got := tt.st.Fault(); got != tt.want {
			t.Errorf("%+v.Fault() = %q, want %q", tt.st, got, tt.want)
		}
	}
}
