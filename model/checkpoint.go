package model

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// The weights file is little-endian binary, so its sha256 is a digest of the
// exact bits of every parameter (rerun compares it):
//
//	"XPW" 0x01
//	uint32 tensor count
//	per tensor: uint16 name length, name, uint8 rank, rank x uint32 dims, float32 data
var weightsMagic = [4]byte{'X', 'P', 'W', 1}

// ErrBadWeights is returned for a file that is not a weights file.
var ErrBadWeights = errors.New("not an xp weights file")

// Encode writes p in the weights format.
func (p *Params) Encode(w io.Writer) error {
	bw := bufio.NewWriter(w)
	le := binary.LittleEndian
	bw.Write(weightsMagic[:])
	var b4 [4]byte
	le.PutUint32(b4[:], uint32(len(p.Tensors)))
	bw.Write(b4[:])
	for _, t := range p.Tensors {
		var b2 [2]byte
		le.PutUint16(b2[:], uint16(len(t.Name)))
		bw.Write(b2[:])
		bw.WriteString(t.Name)
		bw.WriteByte(byte(len(t.Shape)))
		for _, d := range t.Shape {
			le.PutUint32(b4[:], uint32(d))
			bw.Write(b4[:])
		}
		for _, v := range t.Data {
			le.PutUint32(b4[:], math.Float32bits(v))
			bw.Write(b4[:])
		}
	}
	return bw.Flush()
}

// Digest is the hex sha256 of p's encoding.
func (p *Params) Digest() string {
	h := sha256.New()
	_ = p.Encode(h) // a hash never fails to write
	return hex.EncodeToString(h.Sum(nil))
}

// Save writes p to path atomically and returns its digest.
func (p *Params) Save(path string) (string, error) {
	var buf bytes.Buffer
	if err := p.Encode(&buf); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("save weights: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("save weights: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// Load reads a weights file.
func Load(path string) (*Params, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load weights: %w", err)
	}
	p, err := Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("load weights %s: %w", path, err)
	}
	return p, nil
}

// Decode reads the weights format.
func Decode(r io.Reader) (*Params, error) {
	br := bufio.NewReader(r)
	le := binary.LittleEndian
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || magic != weightsMagic {
		return nil, ErrBadWeights
	}
	var count uint32
	if err := binary.Read(br, le, &count); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadWeights, err)
	}
	p := &Params{}
	for i := uint32(0); i < count; i++ {
		var nameLen uint16
		if err := binary.Read(br, le, &nameLen); err != nil {
			return nil, fmt.Errorf("%w: tensor %d: %v", ErrBadWeights, i, err)
		}
		name := make([]byte, nameLen)
		if _, err := io.ReadFull(br, name); err != nil {
			return nil, fmt.Errorf("%w: tensor %d: %v", ErrBadWeights, i, err)
		}
		rank, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: tensor %d: %v", ErrBadWeights, i, err)
		}
		shape := make([]int, rank)
		size := 1
		for d := range shape {
			var v uint32
			if err := binary.Read(br, le, &v); err != nil {
				return nil, fmt.Errorf("%w: tensor %d: %v", ErrBadWeights, i, err)
			}
			shape[d] = int(v)
			size *= int(v)
		}
		if size > 1<<30 {
			return nil, fmt.Errorf("%w: tensor %q of %d values", ErrBadWeights, name, size)
		}
		data := make([]float32, size)
		if err := binary.Read(br, le, data); err != nil {
			return nil, fmt.Errorf("%w: tensor %q: %v", ErrBadWeights, name, err)
		}
		p.Tensors = append(p.Tensors, Tensor{Name: string(name), Shape: shape, Data: data})
	}
	return p, nil
}
