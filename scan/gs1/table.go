package gs1

// Indexes over the generated entries, built once at init and read-only
// afterwards.
var (
	// aiIndex maps an AI's key (aiKey) to 1 + its index in entries; 0
	// means no such AI.
	aiIndex [11100]uint16
	// prefixLen is the length of the AIs that start with two digits
	// (GS1 fixes an AI's length by its first two digits); 0 when the
	// dictionary has none.
	prefixLen [100]uint8
	// ruleSets holds each entry's req= and ex= as indexes into patternSets.
	ruleSets [entryCount]entryRules
	// patternSets[i] is the set of entries matching one AI pattern ("01",
	// "31nn").
	patternSets []aiSet
)

// aiSet is a set of entries, by index.
type aiSet [(entryCount + 63) / 64]uint64

func (s *aiSet) add(i int)      { s[i>>6] |= 1 << (uint(i) & 63) }
func (s *aiSet) has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

// meetsExcept: s and t share an entry other than x.
func (s *aiSet) meetsExcept(t *aiSet, x int) bool {
	for i := range s {
		w := s[i] & t[i]
		if i == x>>6 {
			w &^= 1 << (uint(x) & 63)
		}
		if w != 0 {
			return true
		}
	}
	return false
}

func (s *aiSet) meets(t *aiSet) bool {
	for i := range s {
		if s[i]&t[i] != 0 {
			return true
		}
	}
	return false
}

type entryRules struct {
	requires [][][]uint16 // requirement → alternative → pattern
	excludes []uint16
}

func init() {
	byPattern := map[string]uint16{}
	pattern := func(p string) uint16 {
		if id, ok := byPattern[p]; ok {
			return id
		}
		var s aiSet
		for i := range entries {
			if matchPattern(p, entries[i].AI) {
				s.add(i)
			}
		}
		id := uint16(len(patternSets))
		patternSets = append(patternSets, s)
		byPattern[p] = id
		return id
	}
	for i := range entries {
		e := &entries[i]
		aiIndex[aiKey(e.AI)] = uint16(i + 1)
		prefixLen[int(e.AI[0]-'0')*10+int(e.AI[1]-'0')] = uint8(len(e.AI))
		r := &ruleSets[i]
		for _, req := range e.Requires {
			alts := make([][]uint16, len(req))
			for j, group := range req {
				for _, p := range group {
					alts[j] = append(alts[j], pattern(p))
				}
			}
			r.requires = append(r.requires, alts)
		}
		for _, p := range e.Excludes {
			r.excludes = append(r.excludes, pattern(p))
		}
	}
}

// aiKey maps a 2-, 3- or 4-digit AI to a distinct index below 11100, or -1.
func aiKey(ai string) int {
	if len(ai) < 2 || len(ai) > 4 {
		return -1
	}
	n := 0
	for i := 0; i < len(ai); i++ {
		c := ai[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	switch len(ai) {
	case 3:
		n += 100
	case 4:
		n += 1100
	}
	return n
}

// lookupIndex is the index of ai in entries, or -1.
func lookupIndex(ai string) int {
	k := aiKey(ai)
	if k < 0 {
		return -1
	}
	return int(aiIndex[k]) - 1
}

// Lookup returns the dictionary entry of an AI.
func Lookup(ai string) (Entry, bool) {
	i := lookupIndex(ai)
	if i < 0 {
		return Entry{}, false
	}
	return entries[i], true
}

// matchPattern: an AI pattern where 'n' is any digit ("394n") against an AI.
func matchPattern(p, ai string) bool {
	if len(p) != len(ai) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != ai[i] && !(p[i] == 'n' && ai[i] >= '0' && ai[i] <= '9') {
			return false
		}
	}
	return true
}

// aiAt reads the AI at the start of s by GS1's rule that the first two
// digits fix its length. It returns the entry index (-1 when unknown) and
// the AI's length (0 when s does not start with two digits, or is cut short
// before the AI ends).
func aiAt(s string) (idx, n int) {
	if len(s) < 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return -1, 0
	}
	n = int(prefixLen[int(s[0]-'0')*10+int(s[1]-'0')])
	if n == 0 {
		// No AI starts with these two digits: report them as the AI.
		return -1, 2
	}
	if len(s) < n || !allDigits(s[:n]) {
		return -1, 0
	}
	return lookupIndex(s[:n]), n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
