package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

func newHTTPClient(cfg Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.InsecureSkipVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // tests only, documented
	}
	return &http.Client{Transport: tr, Timeout: cfg.Timeout}
}

// phoneNumber checks an SMS recipient loosely (the portal validates E.164)
// and drops spaces and dashes.
func phoneNumber(s string) (string, error) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case unicode.IsDigit(r) && r < unicode.MaxASCII:
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '/':
		default:
			return "", fmt.Errorf("invalid phone number %q", s)
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	if len(digits) < 3 || len(digits) > 15 {
		return "", fmt.Errorf("invalid phone number %q", s)
	}
	return b.String(), nil
}

// sendSMS posts to and text to the gateway. A 2xx status is success; 4xx
// other than 408 and 429 means the gateway will never take this message; all
// else (5xx, timeouts, refused connections) is retried.
func (n *Notifier) sendSMS(ctx context.Context, gateway *url.URL, to, text string) error {
	form := url.Values{"to": {to}, "text": {text}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gateway.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := n.http.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its URL may hold credentials
		}
		return fmt.Errorf("sms gateway %s: %w", gateway.Redacted(), err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("sms gateway %s: %s: %s", gateway.Redacted(), resp.Status, strings.TrimSpace(string(snippet)))
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return permanent(err)
	}
	return err
}
