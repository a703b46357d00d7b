package broker

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/nats-io/nats-server/v2/server"
)

// permissions turns a user's MQTT topic filters into the NATS subject
// permissions that nats-server checks when the user's MQTT client publishes
// (its will included) or subscribes.
//
// An MQTT client needs nothing beyond its topics: nats-server lets MQTT
// connections subscribe to the internal "$MQTT.sub.<nuid>" and
// "$MQTT.deliver.pubrel.<id>" subjects that carry their QoS 1 and 2
// deliveries whatever their allow list says (client.go,
// canSubscribeInternal), and it stores QoS 1 messages, sessions and retained
// messages through its own internal JetStream client, which user permissions
// do not govern. Granting "$MQTT.>" would on the contrary let a client read or
// inject other sessions' queued messages.
//
// An empty list denies everything rather than leaving the list out, which
// NATS would read as "no restriction".
func permissions(u User) (*server.Permissions, error) {
	pub, err := subjectsOf(u.Publish)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	sub, err := subjectsOf(u.Subscribe)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return &server.Permissions{Publish: allowOnly(pub), Subscribe: allowOnly(sub)}, nil
}

func allowOnly(subjects []string) *server.SubjectPermission {
	if len(subjects) == 0 {
		return &server.SubjectPermission{Deny: []string{">"}}
	}
	return &server.SubjectPermission{Allow: subjects}
}

func subjectsOf(filters []string) ([]string, error) {
	var subjects []string
	for _, f := range filters {
		if err := checkFilter(f); err != nil {
			return nil, err
		}
		subjects = append(subjects, filterSubjects(f)...)
	}
	return subjects, nil
}

// checkFilter accepts an MQTT topic filter (MQTT 3.1.1 section 4.7) that
// translates into NATS subjects meaning the same thing.
//
// Its first level must be literal and must not start with "$": a "+" or "#"
// there would become a NATS wildcard matching NATS's own subjects too
// ("$JS.API.…", "$MQTT.msgs.…"), which MQTT wildcards never reach and a
// client must never publish to. "$share/…" is refused along with every other
// "$" topic, since NATS has no shared subscriptions. "*" and ">" are refused
// anywhere: nats-server passes them through from MQTT topics unescaped, so
// they would act as wildcards in a permission.
func checkFilter(f string) error {
	switch {
	case f == "":
		return fmt.Errorf("empty topic filter")
	case !utf8.ValidString(f):
		return fmt.Errorf("topic filter %q is not UTF-8", f)
	case strings.ContainsAny(f, "\x00 \t\n\r\f\x7f"):
		return fmt.Errorf("topic filter %q has a space or control character, which nats-server refuses in topics", f)
	case strings.ContainsAny(f, "*>"):
		return fmt.Errorf("topic filter %q has * or >, which NATS would read as wildcards", f)
	case strings.HasPrefix(f, "$"):
		return fmt.Errorf("topic filter %q starts with $ (reserved for the broker; $share shared subscriptions are not supported)", f)
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case i == 0 && (l == "+" || l == "#"):
			return fmt.Errorf("topic filter %q starts with a wildcard; its first level must be literal", f)
		case l == "#" && i != len(levels)-1:
			return fmt.Errorf("topic filter %q has # before its last level", f)
		case l != "+" && l != "#" && strings.ContainsAny(l, "+#"):
			return fmt.Errorf("topic filter %q has a wildcard inside a level", f)
		}
	}
	return nil
}

// filterSubjects returns the NATS subjects nats-server subscribes to for the
// MQTT filter f: its subject and, for a filter ending in "/#", the level
// above, because "a/#" matches "a" too and NATS's "a.>" does not.
func filterSubjects(f string) []string {
	s := Subject(f)
	if len(s) > 2 && strings.HasSuffix(s, ".>") {
		return []string{s, s[:len(s)-2]}
	}
	return []string{s}
}

// Subject converts an MQTT topic or filter into a NATS subject exactly as
// nats-server v2.15.3 does (mqttToNATSSubjectConversion in server/mqtt.go):
// "/" separates tokens, "." inside a level becomes "//" (so site "SZ.01"
// becomes the single token "SZ//01"), an empty level becomes "/", "+" becomes
// "*" and "#" becomes ">". Both directions of a permission check compare
// these subjects, so the two conversions must agree byte for byte;
// TestSubject holds the cases from nats-server's own tests.
func Subject(f string) string {
	var b strings.Builder
	b.Grow(len(f) + 8)
	last := func() byte {
		if b.Len() == 0 {
			return 0
		}
		return b.String()[b.Len()-1]
	}
	for i := 0; i < len(f); i++ {
		switch c := f[i]; c {
		case '/':
			switch {
			case i == 0 || last() == '.':
				b.WriteString("/.")
			case i == len(f)-1 || f[i+1] == '/':
				b.WriteString("./")
			default:
				b.WriteByte('.')
			}
		case '.':
			b.WriteString("//")
		case '+':
			b.WriteByte('*')
		case '#':
			b.WriteByte('>')
		default:
			b.WriteByte(c)
		}
	}
	if last() == '.' {
		b.WriteByte('/')
	}
	return b.String()
}

// Topic is the MQTT topic of a NATS subject Subject made from a topic (no
// wildcards): "//" is a "." inside a level, "." separates levels, and a
// lone "/" marks an empty level.
func Topic(subject string) string {
	var b strings.Builder
	b.Grow(len(subject))
	for i := 0; i < len(subject); i++ {
		switch c := subject[i]; {
		case c == '/' && i+1 < len(subject) && subject[i+1] == '/':
			b.WriteByte('.')
			i++
		case c == '/':
			// An empty level's marker: the separators around it say it.
		case c == '.':
			b.WriteByte('/')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
