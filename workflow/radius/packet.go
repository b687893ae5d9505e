package radius

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// Why a packet is dropped without an answer; each is also a log line's reason.
var (
	errMalformed  = errors.New("malformed packet")
	errCode       = errors.New("unsupported packet code")
	errNoMA       = errors.New("missing Message-Authenticator")
	errBadMA      = errors.New("bad Message-Authenticator")
	errNoSecret   = errors.New("client has no secret")
	errBadAnswer  = errors.New("invalid answer from the handler")
	errAnswerSize = errors.New("answer too large")
)

const (
	typeMA         = rfc2869.MessageAuthenticator_Type
	typeProxyState = rfc2865.ProxyState_Type
	maxAttrValue   = 253
	maxPassword    = 128 // RFC 2865 §5.2
)

// decode parses raw as a request from a client with secret and checks its
// Message-Authenticator (RFC 3579 §3.2): verified when present, required when
// the client requires it and always on Status-Server (RFC 5997 §3).
func decode(raw, secret []byte, requireMA bool) (*radius.Packet, error) {
	if len(secret) == 0 {
		return nil, errNoSecret
	}
	if len(raw) < 20 {
		return nil, errMalformed
	}
	code := radius.Code(raw[0])
	if code != radius.CodeAccessRequest && code != radius.CodeStatusServer {
		return nil, errCode
	}
	p, err := radius.Parse(raw, secret)
	if err != nil {
		return nil, errMalformed
	}
	// Octets past Length are padding (RFC 2865 §3) and not authenticated.
	raw = raw[:binary.BigEndian.Uint16(raw[2:4])]
	off, n := findMA(raw)
	switch {
	case n > 1 || (n == 1 && off < 0):
		return nil, errBadMA
	case n == 0 && (requireMA || code == radius.CodeStatusServer):
		return nil, errNoMA
	case n == 1 && !hmac.Equal(raw[off:off+16], requestMA(raw, off, secret)):
		return nil, errBadMA
	}
	return p, nil
}

// findMA returns the offset of the Message-Authenticator's value in a packet
// (-1 when its length is not 16) and how many there are.
func findMA(raw []byte) (off, n int) {
	off = -1
	for i := 20; i+2 <= len(raw); {
		l := int(raw[i+1])
		if l < 2 || i+l > len(raw) {
			break
		}
		if raw[i] == byte(typeMA) {
			n++
			if l == 18 {
				off = i + 2
			}
		}
		i += l
	}
	return off, n
}

// requestMA is the HMAC-MD5 of a request with its Message-Authenticator's
// value taken as zero.
func requestMA(raw []byte, off int, secret []byte) []byte {
	b := append([]byte(nil), raw...)
	clear(b[off : off+16])
	mac := hmac.New(md5.New, secret)
	mac.Write(b)
	return mac.Sum(nil)
}

// readRequest reads what the core needs from a verified Access-Request. A
// non-empty reason means the request is refused without asking the core.
func readRequest(p *radius.Packet) (r Request, reason string) {
	names := values(p, rfc2865.UserName_Type)
	if len(names) != 1 || len(names[0]) == 0 {
		return r, "no single User-Name"
	}
	if !utf8.Valid(names[0]) || strings.ContainsFunc(string(names[0]), unicode.IsControl) {
		return r, "User-Name is not text"
	}
	r.UserName = string(names[0])
	if _, ok := p.Lookup(rfc2865.CHAPPassword_Type); ok {
		return r, "CHAP is not served, only PAP"
	}
	if _, ok := p.Lookup(rfc2869.EAPMessage_Type); ok {
		return r, "EAP is not served, only PAP"
	}
	pws := values(p, rfc2865.UserPassword_Type)
	if len(pws) != 1 {
		return r, "no single User-Password"
	}
	if len(pws[0]) > maxPassword {
		return r, "User-Password too long"
	}
	pw, err := radius.UserPassword(pws[0], p.Secret, p.Authenticator[:])
	if err != nil {
		return r, "User-Password undecodable"
	}
	r.Password = string(pw)
	states := values(p, rfc2865.State_Type)
	if len(states) > 1 {
		return r, "more than one State"
	}
	if len(states) == 1 && len(states[0]) > 0 {
		r.State = states[0]
	}
	if ip := rfc2865.NASIPAddress_Get(p); len(ip) == 4 {
		r.NASIPAddress = netip.AddrFrom4([4]byte(ip)).String()
	}
	r.NASIdentifier = printable(rfc2865.NASIdentifier_GetString(p))
	r.CallingStationID = printable(rfc2865.CallingStationID_GetString(p))
	return r, ""
}

// values are the raw values of the attributes of type typ, in order.
func values(p *radius.Packet, typ radius.Type) []radius.Attribute {
	var vs []radius.Attribute
	for _, avp := range p.Attributes {
		if avp.Type == typ {
			vs = append(vs, avp.Attribute)
		}
	}
	return vs
}

// printable keeps what the NAS says about itself fit for a log and a database.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// encodeAnswer builds the answer to req with its Message-Authenticator first
// and then the Response Authenticator over the whole packet, MA included
// (RFC 3579 §3.2, RFC 5997 §2). Proxy-State is echoed (RFC 2865 §5.33).
func encodeAnswer(req *radius.Packet, a Answer) ([]byte, error) {
	var code radius.Code
	switch a.Code {
	case Accept:
		code = radius.CodeAccessAccept
	case Reject:
		code = radius.CodeAccessReject
		a.ReplyMessage, a.State = AccessDenied, nil
	case Challenge:
		if len(a.State) == 0 || len(a.State) > maxAttrValue {
			return nil, errBadAnswer
		}
		code = radius.CodeAccessChallenge
	default:
		return nil, errBadAnswer
	}
	if a.Code != Challenge {
		a.State = nil
	}
	p := req.Response(code)
	p.Add(typeMA, make(radius.Attribute, 16))
	for m := a.ReplyMessage; m != ""; {
		n := min(len(m), maxAttrValue)
		p.Add(rfc2865.ReplyMessage_Type, radius.Attribute(m[:n]))
		m = m[n:]
	}
	if a.State != nil {
		p.Add(rfc2865.State_Type, radius.Attribute(a.State))
	}
	for _, v := range values(req, typeProxyState) {
		p.Add(typeProxyState, v)
	}
	b, err := p.MarshalBinary() // the Request Authenticator in place, MA zero
	if err != nil {
		return nil, errAnswerSize
	}
	mac := hmac.New(md5.New, req.Secret)
	mac.Write(b)
	mac.Sum(b[22:22:38]) // MA is the first attribute: type and length at 20, 21
	h := md5.New()
	h.Write(b)
	h.Write(req.Secret)
	h.Sum(b[4:4:20])
	return b, nil
}
