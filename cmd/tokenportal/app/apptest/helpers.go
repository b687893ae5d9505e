package apptest

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Eventually polls cond every 20 ms until it holds and returns how long
// that took; t fails with what after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// ReadQR decodes the QR code of a PNG data URI (an enrolment page's
// img.qr) and returns its text. The image is a clean code drawn by the
// server, which is what gozxing's pure barcode mode is for; its
// finder-pattern detector, meant for photos, misses about one in five.
func ReadQR(t testing.TB, src string) string {
	t.Helper()
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(src, prefix) {
		t.Fatalf("QR code src %.40q is not a PNG data URI", src)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, prefix))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("QR code not readable: %v", err)
	}
	return res.GetText()
}

// OTPAuth parses an otpauth:// URI and returns it with its secret.
func OTPAuth(t testing.TB, uri string) (*url.URL, []byte) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" {
		t.Fatalf("not an otpauth URI: %q (%v)", uri, err)
	}
	return u, Base32Secret(t, u.Query().Get("secret"))
}

// Base32Secret decodes a secret as shown for typing in: base32, any case,
// maybe grouped by spaces, padding optional.
func Base32Secret(t testing.TB, text string) []byte {
	t.Helper()
	clean := strings.ToUpper(strings.Join(strings.Fields(text), ""))
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(clean, "="))
	if err != nil || len(secret) == 0 {
		t.Fatalf("secret %q is not base32: %v", text, err)
	}
	return secret
}
