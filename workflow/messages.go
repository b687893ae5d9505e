package workflow

import (
	"context"
	"encoding/json"
)

// Mails and SMS: queued in the transaction of the change that causes them,
// their data sealed while they wait, delivered by workflow/notify.

// Message is a mail or SMS waiting for delivery. It is queued in the same
// transaction as the change that caused it and delivered by a worker with
// retries (workflow/notify).
type Message struct {
	Channel  string            `json:"channel"` // "email" or "sms"
	To       string            `json:"to"`
	Template string            `json:"template"` // see notify's templates
	Lang     string            `json:"lang"`     // en, de, nl
	Data     map[string]string `json:"data,omitempty"`
	// Sealed holds Data encrypted while the message waits in the queue, so
	// codes in it are not readable from the database (see Service.enqueue).
	Sealed []byte `json:"sealed,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
}

// Message channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// MessageJob is the queued job of a Message (a River job kind).
type MessageJob struct {
	Message
}

// Kind names the job for the queue.
func (MessageJob) Kind() string { return "message" }

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
