package slackfake

import (
	"encoding/base64"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The list methods, users.list and conversations.list, page through the
// workspace in ID order with Slack's cursor pagination: each answer carries
// response_metadata.next_cursor, empty on the last page, and a cursor names
// the first item of the next page the way Slack's do, e.g.
// base64("user:U061NFTT2") and base64("team:C061FA5PB"). A page resumes at
// the first item whose ID is not before the cursor's, so an item added or
// removed between pages does not break the walk. A cursor that is not one of
// these answers invalid_cursor.
//
// Slack gives at most 1000 entries a page. Asked for everything at once (no
// limit) in a workspace larger than that, users.list answers limit_required,
// as Slack warns it may. conversations.list takes its page from every
// conversation of the workspace and only then keeps the types asked for and
// those the bot may see, so a page can hold fewer than limit, even none,
// and still carry a next_cursor: "fewer than the requested number of items
// may be returned, even if the end of the list hasn't been reached".

const (
	usersCursorPrefix    = "user:"
	channelsCursorPrefix = "team:"
	maxListLimit         = 1000
)

// listCursor encodes a cursor naming the first item of the next page.
func listCursor(prefix, id string) string {
	return base64.StdEncoding.EncodeToString([]byte(prefix + id))
}

// listPage reads limit and cursor and returns the page of ids (sorted) to
// answer with the next cursor. defaultLimit 0 means everything.
func listPage(r *request, ids []string, prefix string, defaultLimit int) ([]string, string, *apiError) {
	limit := defaultLimit
	if v := r.str("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, "", invalidArgument("limit", "expected a positive integer")
		}
		if n > 0 {
			limit = min(n, maxListLimit)
		}
	}
	start := 0
	if cursor := r.str("cursor"); cursor != "" {
		b, err := base64.StdEncoding.DecodeString(cursor)
		id, ok := strings.CutPrefix(string(b), prefix)
		if err != nil || !ok || id == "" {
			return nil, "", fail("invalid_cursor")
		}
		start, _ = slices.BinarySearch(ids, id)
	}
	end := len(ids)
	if limit > 0 {
		end = min(start+limit, len(ids))
	}
	next := ""
	if end < len(ids) {
		next = listCursor(prefix, ids[end])
	}
	return ids[start:end], next, nil
}

// usersList answers users.list: every member of the workspace, deactivated
// accounts and bots (the app's own bot user included) too, each as
// users.info shows it. Like Slack, no limit (or 0) asks for everything in
// one page (limit_required past 1000 people); a limit pages, at most 1000 a
// page. slack-go sends 200 unless told otherwise.
func (s *Server) usersList(r *request) (obj, *apiError) {
	ids := slices.Sorted(maps.Keys(s.users))
	if n, _ := strconv.Atoi(r.str("limit")); n <= 0 && len(ids) > maxListLimit {
		return nil, fail("limit_required")
	}
	page, next, e := listPage(r, ids, usersCursorPrefix, 0)
	if e != nil {
		return nil, e
	}
	locale := r.flag("include_locale")
	members := make([]obj, 0, len(page))
	for _, id := range page {
		members = append(members, s.wireUser(s.users[id], locale))
	}
	return obj{
		"members":           members,
		"cache_ts":          s.now().Unix(),
		"response_metadata": obj{"next_cursor": next},
	}, nil
}

// conversationTypes are the values conversations.list takes in types.
var conversationTypes = []string{"public_channel", "private_channel", "mpim", "im"}

// conversationsList answers conversations.list for the bot: of the types
// asked for (default public_channel), every public channel, with is_member
// telling whether the bot is in it; the private channels the bot is in (the
// others do not exist for it); and the bot's DMs. Multi-person DMs are not
// simulated, so mpim lists none. Nothing in the fake is archived, so
// exclude_archived changes nothing. limit: default 100, at most 1000, counted
// before the types and visibility are applied.
func (s *Server) conversationsList(r *request) (obj, *apiError) {
	want := map[string]bool{}
	for t := range strings.SplitSeq(r.str("types"), ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !slices.Contains(conversationTypes, t) {
			return nil, fail("invalid_types")
		}
		want[t] = true
	}
	if len(want) == 0 {
		want["public_channel"] = true
	}
	ids := slices.Sorted(maps.Keys(s.channels))
	window, next, e := listPage(r, ids, channelsCursorPrefix, 100)
	if e != nil {
		return nil, e
	}
	var page []string
	for _, id := range window {
		c := s.channels[id]
		switch {
		case c.im:
			if !want["im"] {
				continue
			}
		case c.Private:
			if !want["private_channel"] || !c.BotMember {
				continue
			}
		case !want["public_channel"]:
			continue
		}
		page = append(page, id)
	}
	channels := make([]obj, 0, len(page))
	for _, id := range page {
		channels = append(channels, s.wireChannel(s.channels[id]))
	}
	return obj{"channels": channels, "response_metadata": obj{"next_cursor": next}}, nil
}
