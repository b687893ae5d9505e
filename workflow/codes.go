package workflow

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// One-time codes sent by mail or SMS (SPEC §8).
const (
	CodeDigits   = 6
	CodeTTL      = 10 * time.Minute
	CodeAttempts = 5
	// One limiter for every path that sends a code (portal, restore,
	// validate): at most one new code per CodeResendAfter and CodesPerHour
	// per user. A code sent earlier stays valid for its CodeTTL.
	CodeResendAfter = 30 * time.Second
	CodesPerHour    = 10
)

// Answers when the code limiter holds a new code back; the code sent
// earlier still works.
var (
	ErrCodeTooSoon  = Fail(CodeTooMany, M("code.too_soon"))
	ErrCodeTooOften = Fail(CodeTooMany, M("code.too_often"))
)

// codeHeldBack reports whether err is the code limiter holding a code back.
func codeHeldBack(err error) bool {
	return errors.Is(err, ErrCodeTooSoon) || errors.Is(err, ErrCodeTooOften)
}

// allowCode counts a code about to be sent to userID, through st so that a
// code that is not sent after all does not count. Bursts are stopped
// before they touch the hourly budget.
func (s *Service) allowCode(ctx context.Context, st Store, userID int64) error {
	now, id := s.Now(), strconv.FormatInt(userID, 10)
	n, err := st.HitRate(ctx, "code-burst:"+id, CodeResendAfter, now)
	if err != nil {
		return Internal(err)
	}
	if n > 1 {
		return ErrCodeTooSoon
	}
	if n, err = st.HitRate(ctx, "code-hour:"+id, time.Hour, now); err != nil {
		return Internal(err)
	}
	if n > CodesPerHour {
		return ErrCodeTooOften
	}
	return nil
}

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
	return s.codeHashes(userID, purpose, code)[0]
}

// codeHashes are the forms of code under the current key and the previous
// ones: a code sent just before a rotation still works.
func (s *Service) codeHashes(userID int64, purpose, code string) [][]byte {
	return s.Sealer.MACs("one-time-code:"+purpose+":"+strconv.FormatInt(userID, 10), []byte(code))
}

// sendCode stores a new code and queues it to target through st, so both
// commit with the caller's transaction. The code limiter may hold it back
// (ErrCodeTooSoon, ErrCodeTooOften): callers that must not tell whether a
// code went out treat that as sent.
func (s *Service) sendCode(ctx context.Context, st Store, c OneTimeCode, channel, lang string) error {
	if err := s.allowCode(ctx, st, c.UserID); err != nil {
		return err
	}
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

// checkCode checks code against the user's live codes for purpose: a match
// uses the code up, a miss spends an attempt of each.
func (s *Service) checkCode(ctx context.Context, userID int64, purpose string, tokenID *int64, code string) (CodeResult, error) {
	return s.checkCodeIn(ctx, s.Store, userID, purpose, tokenID, code)
}

// checkCodeIn is checkCode through st, so the attempt joins st's transaction.
func (s *Service) checkCodeIn(ctx context.Context, st Store, userID int64, purpose string, tokenID *int64, code string) (CodeResult, error) {
	if len(code) != CodeDigits {
		code = "" // never matches, still counts as an attempt
	}
	r, err := st.UseCode(ctx, userID, purpose, tokenID, s.codeHashes(userID, purpose, code), s.Now(), CodeAttempts)
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
	if t.Type == TokenSMS {
		channel, target = ChannelSMS, u.Phone
	}
	if target == "" {
		if channel == ChannelSMS {
			return Fail(CodeInvalid, M("code.no_phone"))
		}
		return Fail(CodeInvalid, M("code.no_email"))
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
	if t.HasPIN() && !s.checkPIN(ctx, t, pin) {
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

// CodeRequest asks for a code to be emailed to whoever is behind a login on
// a resource: a sign-in code (PurposeLogin) or the proof of a restore-access
// request (PurposeRestore). It is queued for every login typed, known or
// not, so the request does the same work whoever is behind the login; the
// queue worker decides whether anybody gets a code (SendRequestedCode).
type CodeRequest struct {
	Purpose    string `json:"purpose"`
	ResourceID int64  `json:"resource_id"`
	Login      string `json:"login"`
}

// Kind names the job for the queue.
func (CodeRequest) Kind() string { return "code_request" }

// requestCode queues r; see CodeRequest.
func (s *Service) requestCode(ctx context.Context, r CodeRequest) error {
	if err := s.Store.EnqueueCodeRequest(ctx, r); err != nil {
		return Internal(err)
	}
	return nil
}

// SendRequestedCode carries out a CodeRequest: a code goes to the email on
// record of an enabled user assigned to the resource; a sign-in code only
// to a user without a password who is not locked. Anybody else gets
// nothing, and neither does a user the code limiter protects.
func (s *Service) SendRequestedCode(ctx context.Context, r CodeRequest) error {
	u, err := s.Store.UserByLogin(ctx, r.Login)
	if ErrorCode(err) == CodeNotFound {
		return nil
	} else if err != nil {
		return Internal(err)
	}
	assigned, err := s.Store.IsAssigned(ctx, r.ResourceID, u.ID)
	if err != nil {
		return Internal(err)
	}
	switch {
	case !assigned, u.Disabled, u.Email == "":
		return nil
	case r.Purpose == PurposeLogin && (u.HasPassword() || u.Locked(s.Now())):
		return nil
	case r.Purpose != PurposeLogin && r.Purpose != PurposeRestore:
		return nil
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		return s.sendCode(ctx, st, OneTimeCode{Purpose: r.Purpose, UserID: u.ID, ResourceID: &r.ResourceID, Target: u.Email}, ChannelEmail, u.Language)
	})
	if codeHeldBack(err) {
		s.Log.InfoContext(ctx, "requested code held back by the limiter", "user", u.ID, "purpose", r.Purpose)
		return nil
	}
	return err
}
