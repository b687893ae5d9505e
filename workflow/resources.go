package workflow

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// ResourceInput is what an administrator sets on a resource.
type ResourceInput struct {
	Name        string
	Description string
}

func (in ResourceInput) validate() (ResourceInput, map[string]Msg) {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	f := map[string]Msg{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 || strings.ContainsAny(in.Name, "\r\n\t") {
		f["name"] = M("resource.name")
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		f["description"] = M("error.max_chars", "Count", 1000)
	}
	return in, f
}

func resourceActivity(by Actor, m Meta, id int64, event string, details map[string]any) Activity {
	return Activity{Actor: by, ResourceID: &id, Event: event, IP: m.IP, UserAgent: m.UserAgent, Details: details}
}

// CreateResource adds a resource.
func (s *Service) CreateResource(ctx context.Context, in ResourceInput, by Actor, m Meta) (Resource, error) {
	in, f := in.validate()
	if len(f) > 0 {
		return Resource{}, FieldsInvalid(f)
	}
	r := Resource{Name: in.Name, Description: in.Description}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.CreateResource(ctx, &r); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(resourceActivity(by, m, r.ID, EventResourceCreated, map[string]any{"name": r.Name})))
	})
	return r, err
}

// UpdateResource renames or re-describes a resource.
func (s *Service) UpdateResource(ctx context.Context, id int64, in ResourceInput, by Actor, m Meta) (Resource, error) {
	in, f := in.validate()
	if len(f) > 0 {
		return Resource{}, FieldsInvalid(f)
	}
	r := Resource{ID: id, Name: in.Name, Description: in.Description}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.UpdateResource(ctx, &r); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(resourceActivity(by, m, id, EventResourceUpdated, map[string]any{"name": r.Name})))
	})
	return r, err
}

// DeleteResource removes a resource with its portal and assignments.
func (s *Service) DeleteResource(ctx context.Context, id int64, by Actor, m Meta) error {
	r, err := s.Store.ResourceByID(ctx, id)
	if err != nil {
		return err
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.DeleteResource(ctx, id); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventResourceDeleted, IP: m.IP, UserAgent: m.UserAgent,
			Details: map[string]any{"name": r.Name, "id": id}}))
	})
}

// ResourceFilter selects a page of resources, ordered by name; After is the
// lower-cased name of the last row of the previous page.
type ResourceFilter struct {
	Query     string  // prefix of the name
	Resources []int64 // when not nil: only these (an owner's)
	After     string
	Limit     int
}

// Resource is something protected by password + OTP: a VPN, Citrix, an app.
type Resource struct {
	ID          int64
	Name        string
	Description string
	CreatedAt   time.Time
}
