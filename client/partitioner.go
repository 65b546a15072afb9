package client

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
)

// Partitioner maps a record to a partition of a topic with n partitions.
type Partitioner interface {
	Partition(key []byte, hasKey bool, n uint32) uint32
}

// DefaultPartitioner does what the Rust client's SiphashRoundRobinPartitioner
// does, so a key lands on the same partition whichever client produced it:
// a keyed record goes to siphash24(k0=0, k1=0, len(key) as u64 LE || key)
// mod n (Rust's SipHasher::new() fed through `<[u8] as Hash>::hash`, which
// writes a usize length prefix first); a record without a key goes round
// robin.
type DefaultPartitioner struct{ next atomic.Uint32 }

// Partition implements Partitioner.
func (p *DefaultPartitioner) Partition(key []byte, hasKey bool, n uint32) uint32 {
	if n == 0 {
		return 0
	}
	if !hasKey {
		return (p.next.Add(1) - 1) % n
	}
	return uint32(KeyHash(key) % uint64(n))
}

// KeyHash is the 64-bit hash the Rust client uses to place a key.
func KeyHash(key []byte) uint64 {
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(key)))
	return siphash24(0, 0, prefix[:], key)
}

// siphash24 is SipHash-2-4 over the concatenation of a and b.
func siphash24(k0, k1 uint64, a, b []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	total := len(a) + len(b)
	var buf [8]byte
	n := 0
	block := func(m uint64) {
		v3 ^= m
		round()
		round()
		v0 ^= m
	}
	for _, part := range [2][]byte{a, b} {
		for _, c := range part {
			buf[n] = c
			n++
			if n == 8 {
				block(binary.LittleEndian.Uint64(buf[:]))
				n = 0
			}
		}
	}
	var last uint64 = uint64(total&0xff) << 56
	for i := 0; i < n; i++ {
		last |= uint64(buf[i]) << (8 * i)
	}
	block(last)
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
