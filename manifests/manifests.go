// Package manifests holds the Slack app manifest alignbot is installed from
// (alignbot.yaml), embedded so that `alignbot doctor` and the project's fake
// Slack read the scopes from the file an operator pastes, never from a copy.
package manifests

import (
	_ "embed"
	"strings"
)

// AlignbotYAML is manifests/alignbot.yaml as it is in the repository.
//
//go:embed alignbot.yaml
var AlignbotYAML string

// BotScopes returns the bot token scopes the manifest asks for
// (oauth_config.scopes.bot), in the manifest's order.
func BotScopes() []string { return scopes(AlignbotYAML, "bot") }

// scopes reads the list under oauth_config: scopes: <kind>: of a manifest.
// The manifest is plain block YAML, so its nesting is its indentation; a full
// YAML parser would be a dependency for one list.
func scopes(manifest, kind string) []string {
	path := []string{"oauth_config", "scopes", kind}
	var (
		out    []string
		depth  int // how many keys of path are open
		indent []int
	)
	for _, line := range strings.Split(manifest, "\n") {
		content, _, _ := strings.Cut(line, "#")
		if strings.TrimSpace(content) == "" {
			continue
		}
		ind := len(content) - len(strings.TrimLeft(content, " "))
		for depth > 0 && ind <= indent[depth-1] {
			depth--
			indent = indent[:depth]
		}
		item := strings.TrimSpace(content)
		switch {
		case depth == len(path):
			if v, ok := strings.CutPrefix(item, "- "); ok {
				out = append(out, strings.Trim(strings.TrimSpace(v), `"'`))
			}
		case item == path[depth]+":":
			indent = append(indent, ind)
			depth++
		}
	}
	return out
}
