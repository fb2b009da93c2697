package bot

import (
	"context"
	"log/slog"
	"sync"

	"github.com/alignbot/alignbot/internal/locale"
)

// Who reads what, in which language: each person's DMs, forms, App Home and
// replies in their Slack locale (users.info's locale, cached with the
// directory), the channel's announcement, reveal and notes in the round's
// language, chosen when it starts.

type readerKey struct{}

// withReader marks ctx as serving userID: the replies and forms it renders
// speak their language. The lookup is made once, and only if something is
// rendered (a click that answers nothing costs no directory lookup).
func (b *Bot) withReader(ctx context.Context, userID string) context.Context {
	lang := sync.OnceValue(func() locale.Lang { return b.personLang(ctx, userID) })
	return context.WithValue(ctx, readerKey{}, lang)
}

// withReaderLang marks ctx as serving someone whose language is known.
func withReaderLang(ctx context.Context, l locale.Lang) context.Context {
	return context.WithValue(ctx, readerKey{}, func() locale.Lang { return l })
}

// readerLang is the language of the person ctx serves; English when none
// is known.
func readerLang(ctx context.Context) locale.Lang {
	if lang, ok := ctx.Value(readerKey{}).(func() locale.Lang); ok {
		return lang()
	}
	return locale.English
}

// say is the printer of the person ctx serves.
func say(ctx context.Context) *locale.Printer { return locale.For(readerLang(ctx)) }

// personLang is the language of a workspace member's Slack locale; English
// when Slack does not say or cannot be asked.
func (b *Bot) personLang(ctx context.Context, userID string) locale.Lang {
	p, err := b.dir.person(ctx, userID)
	if err != nil {
		b.log.Warn("looking up a person's language failed", slog.String("user_id", userID), slog.Any("error", err))
		return locale.English
	}
	return locale.Match(p.Locale)
}

// roundLanguage is the language a new round's channel messages speak: the
// one the facilitator chose, else ALIGNBOT_LANGUAGE, else the facilitator's
// own.
func (b *Bot) roundLanguage(ctx context.Context, chosen locale.Lang, facilitator string) locale.Lang {
	switch {
	case chosen.Valid():
		return chosen
	case b.cfg.Language.Valid():
		return b.cfg.Language
	}
	return b.personLang(ctx, facilitator)
}

// phrase is a catalog message inside another's placeholders, translated
// with it: "Only … can {{.What}}".
type phrase struct {
	id   string
	args []any
}

// andList is a list inside a message's placeholders, joined as the reader's
// language writes lists.
type andList []string

// translateArgs translates the phrases and lists among a message's
// placeholder values.
func translateArgs(p *locale.Printer, args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case phrase:
			out[i] = p.T(v.id, translateArgs(p, v.args)...)
		case andList:
			out[i] = p.JoinAnd(v)
		case instrumentName:
			out[i] = p.Instrument(v.in).Name
		case roleName:
			out[i] = p.Instrument(v.in).RoleLabel(v.role)
		case roleList:
			in := p.Instrument(v.in)
			var roles []string
			for _, r := range in.Roles {
				roles = append(roles, p.T("cmd.the_role", "Role", r.Label))
			}
			out[i] = p.JoinAnd(roles)
		default:
			out[i] = a
		}
	}
	return out
}
