package gs1

// The dictionary lives outside the module, in the workspace's shared data
// (/work/shared/data beside /work/main). ai_table.go is committed, so a build
// never needs the dictionary; TestGeneratedTableIsFresh regenerates from the
// same path when it is there.
//go:generate go run ./internal/gen -in ../../../shared/data/gs1-syntax-dictionary.txt -out ai_table.go
