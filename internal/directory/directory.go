// Package directory is the party's side of the 24/7 network: its agencies,
// their points of contact, and the on-call roster that says who answers
// the hotline at any moment.
package directory

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Service manages the directory.
type Service struct {
	Store store.Store
	Clock clock.Clock
}

// AgencyKinds are the kinds of agency a party has.
var AgencyKinds = []string{"justice", "police", "homeland_security", "cert", "prosecutor", "regulator", "other"}

var agencyCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)

// The messages of directory validation; the console translates them by
// code.
var (
	msgAgencyCode   = validation.Define("directory.agency_code", "1-32 characters of A-Z, 0-9 and '-'")
	msgAgencyKind   = validation.Define("directory.agency_kind", "must be one of justice, police, homeland_security, cert, prosecutor, regulator, other")
	msgAgencyExists = validation.Define("directory.agency_exists", "agency {agency} already exists")
	msgLanguages    = validation.Define("directory.languages", "list 1-10 languages (e.g. en, zh)")
	msgLanguage     = validation.Define("directory.language", "{language} is not a language code such as en or zh")
	msgPhoneOrEmail = validation.Define("directory.phone_or_email", "a contact needs a phone number or an e-mail address")
	msgNoAgency     = validation.Define("directory.no_agency", "no agency {agency} on this node")
	msgPosition     = validation.Define("directory.position", "must be primary or backup")
	msgShiftTime    = validation.Define("directory.shift_time", "is required (RFC 3339 time)")
	msgShiftOrder   = validation.Define("directory.shift_order", "must be after start")
	msgShiftLength  = validation.Define("directory.shift_length", "a shift lasts at most 7 days")
	msgNoContact    = validation.Define("directory.no_contact", "no such contact")
)

// CreateAgency adds an agency.
func (s *Service) CreateAgency(ctx context.Context, actor string, a store.Agency) (store.Agency, error) {
	var errs validation.Errors
	errs.Match("code", a.Code, agencyCode, msgAgencyCode)
	errs.Required("name", a.Name, 200)
	if !slices.Contains(AgencyKinds, a.Kind) {
		errs.Report("kind", msgAgencyKind, nil)
	}
	if err := errs.Err(); err != nil {
		return a, err
	}
	a.Created = s.Clock.Now()
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateAgency(ctx, a); errors.Is(err, store.ErrConflict) {
			return validation.Errors{msgAgencyExists.On("code", validation.Params{"agency": a.Code})}
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "agency.create", "agency", a.Code, nil, a)
	})
	return a, err
}

// Languages a contact can list (ISO 639-1 codes).
var languageRE = regexp.MustCompile(`^[a-z]{2}(-[A-Z]{2})?$`)

// phoneRE is lenient on purpose: numbers are written many ways, but they
// must start with + and a country code so a desk abroad can dial them.
var phoneRE = regexp.MustCompile(`^\+[0-9][0-9 ()-]{5,30}$`)

// CreateContact adds a point of contact.
func (s *Service) CreateContact(ctx context.Context, actor string, c store.Contact) (store.Contact, error) {
	var errs validation.Errors
	errs.Required("agency", c.Agency, 32)
	errs.Required("name", c.Name, 200)
	errs.Required("role", c.Role, 200)
	if len(c.Languages) == 0 || len(c.Languages) > 10 {
		errs.Report("languages", msgLanguages, nil)
	}
	for _, l := range c.Languages {
		if !languageRE.MatchString(l) {
			errs.Report("languages", msgLanguage, validation.Params{"language": "\"" + l + "\""})
		}
	}
	errs.TimeZone("time_zone", c.TimeZone)
	if c.Phone == "" && c.Email == "" {
		errs.Report("phone", msgPhoneOrEmail, nil)
	}
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		errs.Report("phone", validation.MsgPhone, nil)
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
			errs.Report("email", validation.MsgEmail, nil)
		}
	}
	if err := errs.Err(); err != nil {
		return c, err
	}
	c.ID, c.Created = auth.NewID(), s.Clock.Now()
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetAgency(ctx, c.Agency); errors.Is(err, store.ErrNotFound) {
			return validation.Errors{msgNoAgency.On("agency", validation.Params{"agency": c.Agency})}
		} else if err != nil {
			return err
		}
		if err := q.CreateContact(ctx, c); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "contact.create", "contact", c.ID, nil, c)
	})
	return c, err
}

// DeleteContact removes a contact and its shifts.
func (s *Service) DeleteContact(ctx context.Context, actor, id string) error {
	return s.Store.InTx(ctx, func(q store.Queries) error {
		before, err := q.GetContact(ctx, id)
		if err != nil {
			return err
		}
		if err := q.DeleteContact(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "contact.delete", "contact", id, before, nil)
	})
}

// Positions on a shift. The hotline rings the primary first, then the
// backup, then a supervisor.
const (
	Primary = "primary"
	Backup  = "backup"
)

// MaxShift bounds one shift; a roster is built from many.
const MaxShift = 7 * 24 * time.Hour

// CreateShift puts a contact on call.
func (s *Service) CreateShift(ctx context.Context, actor string, sh store.Shift) (store.Shift, error) {
	var errs validation.Errors
	errs.Required("contact_id", sh.ContactID, 64)
	if sh.Position != Primary && sh.Position != Backup {
		errs.Report("position", msgPosition, nil)
	}
	if sh.Start.IsZero() {
		errs.Report("start", msgShiftTime, nil)
	}
	if sh.End.IsZero() {
		errs.Report("end", msgShiftTime, nil)
	} else if !sh.End.After(sh.Start) {
		errs.Report("end", msgShiftOrder, nil)
	} else if sh.End.Sub(sh.Start) > MaxShift {
		errs.Report("end", msgShiftLength, nil)
	}
	if err := errs.Err(); err != nil {
		return sh, err
	}
	sh.ID, sh.Start, sh.End = auth.NewID(), sh.Start.UTC(), sh.End.UTC()
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetContact(ctx, sh.ContactID); errors.Is(err, store.ErrNotFound) {
			return validation.Errors{msgNoContact.On("contact_id", nil)}
		} else if err != nil {
			return err
		}
		if err := q.CreateShift(ctx, sh); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "shift.create", "shift", sh.ID, nil, sh)
	})
	return sh, err
}

// OnCall is who answers at a moment.
type OnCall struct {
	At      time.Time       `json:"at"`
	Primary []store.Contact `json:"primary"`
	Backup  []store.Contact `json:"backup"`
}

// OnCallAt returns the contacts on call at t, primaries first.
func (s *Service) OnCallAt(ctx context.Context, t time.Time) (OnCall, error) {
	out := OnCall{At: t.UTC(), Primary: []store.Contact{}, Backup: []store.Contact{}}
	shifts, err := s.Store.ListShifts(ctx, t, t.Add(time.Microsecond))
	if err != nil {
		return out, err
	}
	for _, sh := range shifts {
		c, err := s.Store.GetContact(ctx, sh.ContactID)
		if err != nil {
			return out, err
		}
		if sh.Position == Primary {
			out.Primary = append(out.Primary, c)
		} else {
			out.Backup = append(out.Backup, c)
		}
	}
	return out, nil
}
