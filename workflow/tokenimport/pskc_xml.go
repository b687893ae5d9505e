package tokenimport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// XML namespaces of RFC 6030.
const (
	nsPSKC = "urn:ietf:params:xml:ns:keyprov:pskc"
	nsDS   = "http://www.w3.org/2000/09/xmldsig#"
	nsXENC = "http://www.w3.org/2001/04/xmlenc#"
)

// The structs below mirror the parts of the RFC 6030 schema we use. Every
// leaf is a string, converted and checked by hand, so that a bad value is
// reported with its element and in words rather than as a strconv error.
// (Struct tags cannot refer to the constants above; they repeat them.)

type xmlContainer struct {
	XMLName       xml.Name          `xml:"urn:ietf:params:xml:ns:keyprov:pskc KeyContainer"`
	Version       string            `xml:"Version,attr"`
	EncryptionKey *xmlEncryptionKey `xml:"urn:ietf:params:xml:ns:keyprov:pskc EncryptionKey"`
	MACMethod     *xmlMACMethod     `xml:"urn:ietf:params:xml:ns:keyprov:pskc MACMethod"`
	KeyPackages   []xmlKeyPackage   `xml:"urn:ietf:params:xml:ns:keyprov:pskc KeyPackage"`
}

// xmlEncryptionKey names the key that encrypts the secrets. Only the
// elements we must refuse are mapped; ds:KeyName is informational, as the
// pre-shared key comes from Options.
type xmlEncryptionKey struct {
	DerivedKey *struct{} `xml:"http://www.w3.org/2009/xmlenc11# DerivedKey"`
	X509Data   *struct{} `xml:"http://www.w3.org/2000/09/xmldsig# X509Data"`
}

type xmlMACMethod struct {
	Algorithm       string        `xml:"Algorithm,attr"`
	MACKey          *xmlEncrypted `xml:"urn:ietf:params:xml:ns:keyprov:pskc MACKey"`
	MACKeyReference *string       `xml:"urn:ietf:params:xml:ns:keyprov:pskc MACKeyReference"`
}

type xmlKeyPackage struct {
	SerialNo string  `xml:"urn:ietf:params:xml:ns:keyprov:pskc DeviceInfo>SerialNo"`
	Key      *xmlKey `xml:"urn:ietf:params:xml:ns:keyprov:pskc Key"`
}

type xmlKey struct {
	ID           string                  `xml:"Id,attr"`
	Algorithm    string                  `xml:"Algorithm,attr"`
	Suite        string                  `xml:"Suite,attr"`
	Params       *xmlAlgorithmParameters `xml:"urn:ietf:params:xml:ns:keyprov:pskc AlgorithmParameters"`
	KeyReference *string                 `xml:"urn:ietf:params:xml:ns:keyprov:pskc KeyReference"`
	Data         *xmlData                `xml:"urn:ietf:params:xml:ns:keyprov:pskc Data"`
	PINPolicy    *xmlPINPolicy           `xml:"urn:ietf:params:xml:ns:keyprov:pskc Policy>PINPolicy"`
}

type xmlAlgorithmParameters struct {
	Suite          *string            `xml:"urn:ietf:params:xml:ns:keyprov:pskc Suite"`
	SuiteAttr      string             `xml:"Suite,attr"`
	ResponseFormat *xmlResponseFormat `xml:"urn:ietf:params:xml:ns:keyprov:pskc ResponseFormat"`
}

type xmlResponseFormat struct {
	Length      string `xml:"Length,attr"`
	Encoding    string `xml:"Encoding,attr"`
	CheckDigits string `xml:"CheckDigits,attr"`
}

type xmlData struct {
	Secret       *xmlSecret `xml:"urn:ietf:params:xml:ns:keyprov:pskc Secret"`
	Counter      *xmlValue  `xml:"urn:ietf:params:xml:ns:keyprov:pskc Counter"`
	TimeInterval *xmlValue  `xml:"urn:ietf:params:xml:ns:keyprov:pskc TimeInterval"`
}

type xmlSecret struct {
	PlainValue     *string       `xml:"urn:ietf:params:xml:ns:keyprov:pskc PlainValue"`
	EncryptedValue *xmlEncrypted `xml:"urn:ietf:params:xml:ns:keyprov:pskc EncryptedValue"`
	ValueMAC       *string       `xml:"urn:ietf:params:xml:ns:keyprov:pskc ValueMAC"`
}

// xmlValue is a non-secret Data value such as Counter or TimeInterval.
type xmlValue struct {
	PlainValue     *string       `xml:"urn:ietf:params:xml:ns:keyprov:pskc PlainValue"`
	EncryptedValue *xmlEncrypted `xml:"urn:ietf:params:xml:ns:keyprov:pskc EncryptedValue"`
}

// xmlEncrypted is an xenc:EncryptedDataType: EncryptedValue and MACKey.
type xmlEncrypted struct {
	Method     *xmlEncryptionMethod `xml:"http://www.w3.org/2001/04/xmlenc# EncryptionMethod"`
	CipherData *xmlCipherData       `xml:"http://www.w3.org/2001/04/xmlenc# CipherData"`
}

type xmlEncryptionMethod struct {
	Algorithm string `xml:"Algorithm,attr"`
}

type xmlCipherData struct {
	CipherValue     *string   `xml:"http://www.w3.org/2001/04/xmlenc# CipherValue"`
	CipherReference *struct{} `xml:"http://www.w3.org/2001/04/xmlenc# CipherReference"`
}

type xmlPINPolicy struct {
	PINKeyID     string `xml:"PINKeyId,attr"`
	PINUsageMode string `xml:"PINUsageMode,attr"`
}

// decodeContainer checks that data is one well-formed PSKC document without
// a DTD and decodes it.
func decodeContainer(data []byte) (*xmlContainer, *Error) {
	if e := checkXML(data); e != nil {
		return nil, e
	}
	var c xmlContainer
	if err := newDecoder(data).Decode(&c); err != nil {
		// checkXML has seen the whole document, and every field is a
		// string, so this is not expected; say something useful anyway.
		return nil, xmlError(err)
	}
	return &c, nil
}

func newDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, charsetError(label)
	}
	return d
}

// charsetError is what newDecoder's CharsetReader returns: encoding/xml
// reads UTF-8 only, and other encodings are refused rather than misread.
type charsetError string

func (e charsetError) Error() string { return "unsupported charset " + string(e) }

// maxDepth is well above the deepest PSKC element (about 8 levels) and
// far below the nesting that would make decoding expensive.
const maxDepth = 64

// checkXML walks every token of the document once. encoding/xml never
// expands entities declared in a DTD, but a file that has one is not a
// PSKC file and is refused outright; the walk also finds syntax errors,
// with their line, before any field is read, and counts key packages so a
// huge file is refused before it is decoded.
func checkXML(data []byte) *Error {
	d := newDecoder(data)
	depth, roots, packages := 0, 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlError(err)
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.Directive:
			return &Error{Line: line, Message: "the file contains a DOCTYPE or other <!...> declaration, which PSKC files must not have"}
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 {
					return &Error{Line: line, Message: "the file has more than one top-level element; a PSKC file has one KeyContainer"}
				}
				if e := checkRoot(t.Name); e != nil {
					e.Line = line
					return e
				}
			}
			// A PIN key takes a KeyPackage of its own: allow twice MaxTokens.
			if depth == 1 && t.Name == (xml.Name{Space: nsPSKC, Local: "KeyPackage"}) {
				if packages++; packages > 2*MaxTokens {
					return &Error{Line: line, Message: tooManyTokens()}
				}
			}
			if depth++; depth > maxDepth {
				return &Error{Line: line, Message: fmt.Sprintf("the XML is nested more than %d elements deep, far more than PSKC needs", maxDepth)}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return &Error{Line: line, Message: "the file has text outside the KeyContainer element"}
			}
		}
	}
	if roots == 0 {
		return &Error{Message: "the file has no XML elements"}
	}
	return nil
}

func checkRoot(n xml.Name) *Error {
	switch {
	case n.Local != "KeyContainer":
		return &Error{Element: n.Local, Message: fmt.Sprintf("this is not a PSKC file: the top element is <%s>, not <KeyContainer>", n.Local)}
	case n.Space == "":
		return &Error{Element: "KeyContainer", Message: fmt.Sprintf("the KeyContainer has no XML namespace; RFC 6030 files use xmlns=%q", nsPSKC)}
	case n.Space != nsPSKC:
		return &Error{Element: "KeyContainer", Message: fmt.Sprintf("the KeyContainer namespace %s is not RFC 6030's %q (pre-standard PSKC drafts are not supported)", quote(n.Space), nsPSKC)}
	}
	return nil
}

// xmlError translates an encoding/xml error, keeping the line it names.
func xmlError(err error) *Error {
	var se *xml.SyntaxError
	var ce charsetError
	switch {
	case errors.As(err, &se):
		return &Error{Line: se.Line, Message: "the file is not well-formed XML: " + se.Msg}
	case errors.As(err, &ce):
		return &Error{Message: fmt.Sprintf("the file is encoded as %s; only UTF-8 is supported", quote(string(ce)))}
	default:
		return &Error{Message: "the file is not well-formed XML"}
	}
}
