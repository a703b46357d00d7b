package broker

import (
	"slices"
	"strings"
	"testing"
)

// TestSubject holds subject to nats-server's own conversion: the cases are
// those of TestMQTTTopicAndSubjectConversion and TestMQTTFilterConversion in
// nats-server v2.15.3's server/mqtt_test.go.
func TestSubject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ topic, subject string }{
		{"/", "/./"},
		{"//", "/././"},
		{"///", "/./././"},
		{"////", "/././././"},
		{"foo", "foo"},
		{"/foo", "/.foo"},
		{"//foo", "/./.foo"},
		{"///foo", "/././.foo"},
		{"///foo/", "/././.foo./"},
		{"///foo//", "/././.foo././"},
		{"///foo///", "/././.foo./././"},
		{"//.foo.//", "/././/foo//././"},
		{"foo/bar", "foo.bar"},
		{"/foo/bar", "/.foo.bar"},
		{"/foo/bar/", "/.foo.bar./"},
		{"foo/bar/baz", "foo.bar.baz"},
		{"/foo/bar/baz", "/.foo.bar.baz"},
		{"/foo/bar/baz/", "/.foo.bar.baz./"},
		{"bar/", "bar./"},
		{"bar//", "bar././"},
		{"bar///", "bar./././"},
		{"foo//bar", "foo./.bar"},
		{"foo///bar", "foo././.bar"},
		{"foo////bar", "foo./././.bar"},
		{".", "//"},
		{"..", "////"},
		{"...", "//////"},
		{"./", "//./"},
		{".//.", "//././/"},
		{"././.", "//.//.//"},
		{"././/.", "//.//././/"},
		{".foo", "//foo"},
		{"foo.", "foo//"},
		{".foo.", "//foo//"},
		{"foo../bar/", "foo////.bar./"},
		{"foo../bar/.", "foo////.bar.//"},
		{"/foo/", "/.foo./"},
		{"./foo/.", "//.foo.//"},
		{"foo.bar/baz", "foo//bar.baz"},
		{"+", "*"},
		{"/+", "/.*"},
		{"+/", "*./"},
		{"/+/", "/.*./"},
		{"foo/+", "foo.*"},
		{"foo/+/", "foo.*./"},
		{"foo/+/bar", "foo.*.bar"},
		{"foo/+/+", "foo.*.*"},
		{"foo/+/+/", "foo.*.*./"},
		{"foo/+/+/bar", "foo.*.*.bar"},
		{"foo//+", "foo./.*"},
		{"foo//+/", "foo./.*./"},
		{"foo//+//", "foo./.*././"},
		{"foo//+//bar", "foo./.*./.bar"},
		{"foo///+///bar", "foo././.*././.bar"},
		{"foo.bar///+///baz", "foo//bar././.*././.baz"},
		{"#", ">"},
		{"/#", "/.>"},
		{"/foo/#", "/.foo.>"},
		{"foo/#", "foo.>"},
		{"foo//#", "foo./.>"},
		{"foo///#", "foo././.>"},
		{"foo/bar/#", "foo.bar.>"},
		{"foo/bar.baz/#", "foo.bar//baz.>"},
		{"floorgate/v1/SZ.01/gw.1/events", "floorgate.v1.SZ//01.gw//1.events"},
	} {
		if got := Subject(tc.topic); got != tc.subject {
			t.Errorf("Subject(%q) = %q, want %q", tc.topic, got, tc.subject)
		}
		// And back, for every topic (no wildcards).
		if !strings.ContainsAny(tc.topic, "+#") {
			if got := Topic(tc.subject); got != tc.topic {
				t.Errorf("Topic(%q) = %q, want %q", tc.subject, got, tc.topic)
			}
		}
	}
}

func TestFilterSubjects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"floorgate/v1/SZ-01/+/commands", []string{"floorgate.v1.SZ-01.*.commands"}},
		// "a/#" matches "a" itself, which NATS's "a.>" does not.
		{"floorgate/v1/SZ-01/gw-1/#", []string{"floorgate.v1.SZ-01.gw-1.>", "floorgate.v1.SZ-01.gw-1"}},
		{"floorgate/v1/SZ.01/#", []string{"floorgate.v1.SZ//01.>", "floorgate.v1.SZ//01"}},
		{"site//#", []string{"site./.>", "site./"}},
	} {
		if got := filterSubjects(tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("filterSubjects(%q) = %q, want %q", tc.filter, got, tc.want)
		}
	}
}

func TestCheckFilter(t *testing.T) {
	t.Parallel()
	for _, f := range []string{
		"floorgate",
		"floorgate/v1/SZ-01/+/commands",
		"floorgate/v1/SZ-01/gw-1/#",
		"floorgate/v1/SZ.01/gw.1/events",
		"floorgate/+/+/+/#",
		"/leading/empty/level",
		"site//x/",
		"站点/事件",
	} {
		if err := checkFilter(f); err != nil {
			t.Errorf("checkFilter(%q): %v", f, err)
		}
	}
	for _, f := range []string{
		"",
		"#",
		"+",
		"+/v1/events",
		"#/x",
		"site/#/x",
		"site/a#",
		"site/a+/b",
		"site/*/b",
		"site/>",
		"site/a>b",
		"$share/erp/floorgate/v1/+/+/events",
		"$SYS/#",
		"$MQTT/msgs/#",
		"$JS/API/#",
		"site/with space",
		"site/tab\t",
		"site/nul\x00",
		"site/del\x7f",
		"site/\xff",
	} {
		if err := checkFilter(f); err == nil {
			t.Errorf("checkFilter(%q) accepted it", f)
		}
	}
}

// TestEmptyListDeniesAll: nats-server reads a missing or empty allow list
// as "everything", so an empty list must become a deny of everything.
func TestEmptyListDeniesAll(t *testing.T) {
	t.Parallel()
	p, err := permissions(User{Name: "watcher", Subscribe: []string{"site/#"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Publish.Deny, []string{">"}) || len(p.Publish.Allow) != 0 {
		t.Errorf("publish %+v, want deny >", p.Publish)
	}
	if !slices.Equal(p.Subscribe.Allow, []string{"site.>", "site"}) || len(p.Subscribe.Deny) != 0 {
		t.Errorf("subscribe %+v, want allow site.> and site", p.Subscribe)
	}
}
