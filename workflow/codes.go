package workflow

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// One-time codes sent by mail or SMS (SPEC §8).
const (
	CodeDigits   = 6
	CodeTTL      = 10 * time.Minute
	CodeAttempts = 5
)

// Purposes of one-time codes.
const (
	PurposeLogin       = "login"
	PurposeToken       = "token"
	PurposeEnrol       = "enrol"
	PurposeRestore     = "restore"
	PurposeEmailChange = "email-change"
)

// newCode returns CodeDigits uniformly random digits.
func newCode() string {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		n := binary.BigEndian.Uint64(b[:])
		const limit = 1_000_000 * (1<<64/1_000_000 - 1) // reject the biased tail
		if n < limit {
			return fmt.Sprintf("%06d", n%1_000_000)
		}
	}
}

// codeHash keys a code to its user and purpose, so a stolen table of hashes
// neither reveals codes nor lets one be used elsewhere.
func (s *Service) codeHash(userID int64, purpose, code string) []byte {
	return s.Sealer.MAC("one-time-code:"+purpose+":"+strconv.FormatInt(userID, 10), []byte(code))
}

// sendCode stores a new code and queues it to target through st, so both
// commit with the caller's transaction.
func (s *Service) sendCode(ctx context.Context, st Store, c OneTimeCode, channel, lang string) error {
	code := newCode()
	c.Hash = s.codeHash(c.UserID, c.Purpose, code)
	c.Target = truncate(c.Target, 254)
	c.ExpiresAt = s.Now().Add(CodeTTL)
	if err := st.CreateCode(ctx, &c); err != nil {
		return Internal(err)
	}
	msg := Message{Channel: channel, To: c.Target, Template: "code", Lang: lang,
		Data: map[string]string{"code": code, "minutes": strconv.Itoa(int(CodeTTL / time.Minute)), "purpose": c.Purpose}}
	return s.enqueue(ctx, st, msg)
}

// enqueue queues m through st with its Data sealed: one-time codes must not
// lie readable in the job table while they wait for delivery.
func (s *Service) enqueue(ctx context.Context, st Store, m Message) error {
	plain, err := json.Marshal(m.Data)
	if err != nil {
		return Internal(err)
	}
	if m.Sealed, m.KeyID, err = s.Sealer.Seal(plain, messageContext(m)); err != nil {
		return Internal(err)
	}
	m.Data = nil
	if err := st.Enqueue(ctx, m); err != nil {
		return Internal(err)
	}
	return nil
}

func messageContext(m Message) string { return "message:" + m.Channel + ":" + m.To + ":" + m.Template }

// OpenMessage restores the Data of a queued message for delivery.
func (s *Service) OpenMessage(m Message) (Message, error) {
	if m.Sealed == nil {
		return m, nil
	}
	plain, err := s.Sealer.Open(m.Sealed, m.KeyID, messageContext(m))
	if err != nil {
		return m, err
	}
	m.Data = map[string]string{}
	if err := json.Unmarshal(plain, &m.Data); err != nil {
		return m, err
	}
	m.Sealed, m.KeyID = nil, ""
	return m, nil
}

// checkCode spends an attempt on the user's newest code for purpose.
func (s *Service) checkCode(ctx context.Context, userID int64, purpose string, tokenID *int64, code string) (CodeResult, error) {
	return s.checkCodeIn(ctx, s.Store, userID, purpose, tokenID, code)
}

// checkCodeIn is checkCode through st, so the attempt joins st's transaction.
func (s *Service) checkCodeIn(ctx context.Context, st Store, userID int64, purpose string, tokenID *int64, code string) (CodeResult, error) {
	if len(code) != CodeDigits {
		code = "" // never matches, still counts as an attempt
	}
	r, err := st.UseCode(ctx, userID, purpose, tokenID, s.codeHash(userID, purpose, code), s.Now(), CodeAttempts)
	if err != nil {
		return r, Internal(err)
	}
	return r, nil
}

// SendTokenCode sends a code for an email or SMS token to the address or
// phone number on record.
func (s *Service) SendTokenCode(ctx context.Context, t Token, u User) error {
	return s.Store.Tx(ctx, func(st Store) error { return s.sendTokenCode(ctx, st, t, u) })
}

// sendTokenCode is SendTokenCode through st.
func (s *Service) sendTokenCode(ctx context.Context, st Store, t Token, u User) error {
	channel, target := ChannelEmail, u.Email
	if t.Type == "sms" {
		channel, target = ChannelSMS, u.Phone
	}
	if target == "" {
		return Errorf(CodeInvalid, "There is no %s on record to send the code to.", map[string]string{ChannelEmail: "email address", ChannelSMS: "phone number"}[channel])
	}
	return s.sendCode(ctx, st, OneTimeCode{Purpose: PurposeToken, UserID: u.ID, ResourceID: t.ResourceID, TokenID: &t.ID, Target: target}, channel, u.Language)
}

// checkTokenCode checks PIN and sent code of an email or SMS token; the
// attempt is spent through st.
func (s *Service) checkTokenCode(ctx context.Context, st Store, t Token, pass string) (Outcome, error) {
	switch {
	case !t.Enabled:
		return OutcomeDisabled, nil
	case t.Locked():
		return OutcomeLocked, nil
	case t.UserID == nil:
		return OutcomeNoCode, nil
	}
	pin, code, ok := splitPIN(t, pass)
	if !ok {
		return OutcomeMalformed, nil
	}
	if t.HasPIN() && !s.Hasher.Compare(t.PINHash, pin) {
		return OutcomeWrongPIN, nil
	}
	r, err := s.checkCodeIn(ctx, st, *t.UserID, PurposeToken, &t.ID, code)
	switch {
	case err != nil:
		return "", err
	case !r.Live:
		return OutcomeNoCode, nil
	case !r.Matched:
		return OutcomeWrong, nil
	}
	return OutcomeAccepted, nil
}
