package client

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// The reference vectors of the SipHash paper: key 00..0f, messages 00..(n-1).
func TestSiphash24ReferenceVectors(t *testing.T) {
	k0 := binary.LittleEndian.Uint64([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	k1 := binary.LittleEndian.Uint64([]byte{8, 9, 10, 11, 12, 13, 14, 15})
	msg := make([]byte, 15)
	for i := range msg {
		msg[i] = byte(i)
	}
	require.Equal(t, uint64(0x726fdb47dd0e0e31), siphash24(k0, k1, nil, nil))
	require.Equal(t, uint64(0xa129ca6149be45e5), siphash24(k0, k1, msg, nil))
	// splitting the input anywhere gives the same hash
	for i := 0; i <= len(msg); i++ {
		require.Equal(t, uint64(0xa129ca6149be45e5), siphash24(k0, k1, msg[:i], msg[i:]))
	}
}

func TestDefaultPartitioner(t *testing.T) {
	var p DefaultPartitioner
	// keyless records go round robin
	got := []uint32{}
	for i := 0; i < 6; i++ {
		got = append(got, p.Partition(nil, false, 3))
	}
	require.Equal(t, []uint32{0, 1, 2, 0, 1, 2}, got)
	// a key always maps to the same partition, and keys spread
	seen := map[uint32]bool{}
	for i := 0; i < 100; i++ {
		k := []byte{byte(i), 'k'}
		a := p.Partition(k, true, 3)
		require.Equal(t, a, p.Partition(k, true, 3))
		seen[a] = true
	}
	require.Len(t, seen, 3)
	require.Equal(t, uint32(0), p.Partition([]byte("x"), true, 1))
}

// Hashes computed with Rust's siphasher 1.x (`SipHasher::new()`, then
// `<&[u8]>::hash`), i.e. what the Rust client's partitioner computes.
func TestKeyHashMatchesRustClient(t *testing.T) {
	for key, want := range map[string]uint64{
		"":                         0xe849e8bb6ffe2567,
		"a":                        0xfeb15081b68ca86b,
		"key1":                     0x27406ff74505f285,
		"key-a":                    0xd9e624fb34aa07c4,
		"hello world, longer key!": 0x59803bfd9d727aeb,
	} {
		require.Equal(t, want, KeyHash([]byte(key)), "key %q", key)
	}
}
