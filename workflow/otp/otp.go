// Package otp is the one-time-password engine: HOTP (RFC 4226) and TOTP
// (RFC 6238) codes computed with pquerna/otp, verification inside a window
// that reports which counter or time step matched, so the caller can commit it
// with a conditional UPDATE and refuse replays, and the otpauth:// URI and QR
// code used at enrolment.
package otp

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"
	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// Algorithm is the HMAC hash of a token.
type Algorithm string

const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

// Params describe how a token computes its codes.
type Params struct {
	Algorithm Algorithm
	Digits    int // 6 or 8
	Period    int // TOTP step in seconds: 30 or 60
}

// Default is what phone authenticator apps all understand.
var Default = Params{Algorithm: SHA1, Digits: 6, Period: 30}

// Validate reports parameters the product does not support.
func (p Params) Validate() error {
	switch p.Algorithm {
	case SHA1, SHA256, SHA512:
	default:
		return fmt.Errorf("algorithm %q is not supported (use SHA1, SHA256 or SHA512)", p.Algorithm)
	}
	if p.Digits != 6 && p.Digits != 8 {
		return fmt.Errorf("%d digits are not supported (use 6 or 8)", p.Digits)
	}
	if p.Period != 30 && p.Period != 60 {
		return fmt.Errorf("a time step of %d s is not supported (use 30 or 60)", p.Period)
	}
	return nil
}

func (p Params) opts() hotp.ValidateOpts {
	o := hotp.ValidateOpts{Digits: potp.DigitsSix, Algorithm: potp.AlgorithmSHA1}
	if p.Digits == 8 {
		o.Digits = potp.DigitsEight
	}
	switch p.Algorithm {
	case SHA256:
		o.Algorithm = potp.AlgorithmSHA256
	case SHA512:
		o.Algorithm = potp.AlgorithmSHA512
	}
	return o
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeSecret is the base32 form of a seed that people type into apps.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// NewSecret returns a random seed as long as the algorithm's output
// (RFC 4226 §4 recommends 160 bits for SHA1).
func NewSecret(a Algorithm) []byte {
	n := 20
	switch a {
	case SHA256:
		n = 32
	case SHA512:
		n = 64
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// Code is the HOTP value of counter (RFC 4226); a TOTP code is Code of a step.
func Code(secret []byte, counter uint64, p Params) string {
	code, err := hotp.GenerateCodeCustom(EncodeSecret(secret), counter, p.opts())
	if err != nil {
		// The secret is base32 we encoded ourselves: this cannot fail.
		panic(err)
	}
	return code
}

// Step is the TOTP time step that t falls in.
func Step(t time.Time, period int) int64 {
	return t.Unix() / int64(period)
}

// TOTPCode is the TOTP value at t (RFC 6238).
func TOTPCode(secret []byte, t time.Time, p Params) string {
	return Code(secret, uint64(Step(t, p.Period)), p)
}

// WellFormed reports whether code looks like a code of p: exactly the right
// number of ASCII digits.
func WellFormed(code string, p Params) bool {
	if len(code) != p.Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// match compares code with the code of every counter in [from, to] and
// returns the first that matches. Every candidate is computed and compared in
// constant time, so timing does not tell which one matched.
func match(secret []byte, code string, from, to int64, p Params) (int64, bool) {
	if !WellFormed(code, p) {
		return 0, false
	}
	found, ok := int64(0), 0
	for c := from; c <= to; c++ {
		if c < 0 {
			continue
		}
		eq := subtle.ConstantTimeCompare([]byte(Code(secret, uint64(c), p)), []byte(code))
		if eq == 1 && ok == 0 {
			found, ok = c, 1
		}
	}
	return found, ok == 1
}

// VerifyTOTP checks code against the steps around now: the current step
// shifted by drift, ±window. Steps at or below lastStep were already used and
// never match. It returns the matched step.
func VerifyTOTP(secret []byte, code string, now time.Time, p Params, drift int64, window int64, lastStep int64) (int64, bool) {
	center := Step(now, p.Period) + drift
	from := max(center-window, lastStep+1)
	return match(secret, code, from, center+window, p)
}

// VerifyHOTP checks code against counters next … next+lookahead and returns
// the matched counter; the next expected counter is then matched+1.
func VerifyHOTP(secret []byte, code string, next uint64, lookahead int64, p Params) (uint64, bool) {
	c, ok := match(secret, code, int64(next), int64(next)+lookahead, p)
	return uint64(c), ok
}

// URI is the otpauth:// URI of Google Authenticator's Key Uri Format, read by
// every authenticator app. kind is "totp" or "hotp"; counter is used by HOTP.
func URI(kind, issuer, account string, secret []byte, p Params, counter uint64) string {
	v := url.Values{}
	v.Set("secret", EncodeSecret(secret))
	v.Set("issuer", issuer)
	v.Set("algorithm", string(p.Algorithm))
	v.Set("digits", strconv.Itoa(p.Digits))
	if kind == "hotp" {
		v.Set("counter", strconv.FormatUint(counter, 10))
	} else {
		v.Set("period", strconv.Itoa(p.Period))
	}
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	return "otpauth://" + kind + "/" + label + "?" + strings.ReplaceAll(v.Encode(), "+", "%20")
}

// QRCodePNG renders uri as a PNG QR code of about size×size pixels: every
// module a whole number of pixels (a scaled code blurs modules and some
// readers give up), with the 4-module quiet zone readers need around it.
func QRCodePNG(uri string, size int) ([]byte, error) {
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	const quiet = 4
	n := code.Bounds().Dx()
	scale := max(1, (size+n+2*quiet-1)/(n+2*quiet))
	side := (n + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if color.GrayModel.Convert(code.At(x, y)).(color.Gray).Y >= 0x80 {
				continue // light
			}
			draw.Draw(img, image.Rect((x+quiet)*scale, (y+quiet)*scale, (x+quiet+1)*scale, (y+quiet+1)*scale), image.Black, image.Point{}, draw.Src)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
