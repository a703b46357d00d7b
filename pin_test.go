package floorgate

import "testing"

func TestPIN(t *testing.T) {
	h, err := HashPIN("4821")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPIN(h, "4821") {
		t.Fatal("right PIN refused")
	}
	for _, bad := range []string{"4822", "", "48211"} {
		if CheckPIN(h, bad) {
			t.Fatalf("wrong PIN %q accepted", bad)
		}
	}
	h2, _ := HashPIN("4821")
	if h == h2 {
		t.Fatal("two hashes of one PIN are equal: salt missing")
	}
	for _, malformed := range []string{"", "4821", "pbkdf2-sha256$1$AA$AA", "md5$1000$AA$AA"} {
		if CheckPIN(malformed, "4821") {
			t.Fatalf("malformed hash %q matched", malformed)
		}
	}
}

// TestPINHashMadeElsewhere: a pin_hash made as docs/mqtt-contract.md shows
// (Python's hashlib, base64 without padding) checks against its PIN.
func TestPINHashMadeElsewhere(t *testing.T) {
	const h = "pbkdf2-sha256$100000$P2PgtpXTtfKuBIpRu0YXNA$2WhwsnrM22obXX4w/g6KTFbKC0L++a+3QwdUf9f17js"
	if !ValidPINHash(h) || !CheckPIN(h, "2468") || CheckPIN(h, "2469") {
		t.Fatal("the documented recipe's hash does not check")
	}
}
