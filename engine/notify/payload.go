package notify

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Field is one name/value line of an alert.
type Field struct {
	// Name is the field's title, e.g. Target.
	Name string
	// Value is the field's text, e.g. Deployment/podinfo.test.
	Value string
}

// message is one alert as every chat service receives it.
type message struct {
	subject  string // <canary>.<namespace>
	text     string
	fields   []Field
	severity v1beta1.AlertSeverity
}

func (m message) isError() bool { return m.severity.Effective() == v1beta1.SeverityError }

// destination is a resolved chat service.
type destination struct {
	kind     v1beta1.AlertProviderType
	address  string
	token    string
	proxy    string
	channel  string
	username string
}

// render returns the URL and the JSON body of a message for a destination.
func render(d destination, m message) (string, any, error) {
	switch d.kind {
	case v1beta1.SlackProvider:
		return d.address, slackPayload(d, m, "good", "danger"), nil
	case v1beta1.DiscordProvider:
		u, err := discordURL(d.address)
		return u, slackPayload(d, m, "good", "danger"), err
	case v1beta1.RocketProvider:
		return d.address, slackPayload(d, m, "#0076D7", "#FF0000"), nil
	case v1beta1.MSTeamsProvider:
		return d.address, teamsPayload(m), nil
	case v1beta1.GChatProvider:
		return d.address, gchatPayload(m), nil
	default:
		return "", nil, fmt.Errorf("%w %q", ErrUnsupportedType, d.kind)
	}
}

type slackMessage struct {
	Channel     string            `json:"channel"`
	Username    string            `json:"username"`
	IconURL     string            `json:"icon_url"`
	IconEmoji   string            `json:"icon_emoji"`
	Text        string            `json:"text,omitempty"`
	Attachments []slackAttachment `json:"attachments,omitempty"`
}

type slackAttachment struct {
	Color      string       `json:"color"`
	AuthorName string       `json:"author_name"`
	Text       string       `json:"text"`
	MrkdwnIn   []string     `json:"mrkdwn_in"`
	Fields     []slackField `json:"fields"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// slackPayload is the Slack attachment message also used by Discord and Rocket.Chat.
func slackPayload(d destination, m message, color, errorColor string) slackMessage {
	if m.isError() {
		color = errorColor
	}
	fields := make([]slackField, 0, len(m.fields))
	for _, f := range m.fields {
		fields = append(fields, slackField{Title: f.Name, Value: f.Value})
	}
	return slackMessage{
		Channel:   d.channel,
		Username:  d.username,
		IconEmoji: ":rocket:",
		Attachments: []slackAttachment{{
			Color:      color,
			AuthorName: m.subject,
			Text:       m.text,
			MrkdwnIn:   []string{"text"},
			Fields:     fields,
		}},
	}
}

// discordURL points a Discord webhook at its Slack-compatible endpoint.
func discordURL(address string) (string, error) {
	if strings.HasSuffix(address, "/slack") {
		return address, nil
	}
	u, err := url.Parse(address)
	if err != nil {
		return "", fmt.Errorf("parse Discord address: %w", err)
	}
	u.Path = path.Join(u.Path, "slack")
	return u.String(), nil
}

type teamsCard struct {
	Type       string         `json:"@type"`
	Context    string         `json:"@context"`
	ThemeColor string         `json:"themeColor"`
	Summary    string         `json:"summary"`
	Sections   []teamsSection `json:"sections"`
}

type teamsSection struct {
	ActivityTitle    string      `json:"activityTitle"`
	ActivitySubtitle string      `json:"activitySubtitle"`
	Facts            []teamsFact `json:"facts"`
}

type teamsFact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func teamsPayload(m message) teamsCard {
	color := "0076D7"
	if m.isError() {
		color = "FF0000"
	}
	facts := make([]teamsFact, 0, len(m.fields))
	for _, f := range m.fields {
		facts = append(facts, teamsFact(f))
	}
	return teamsCard{
		Type:       "MessageCard",
		Context:    "http://schema.org/extensions",
		ThemeColor: color,
		Summary:    m.subject,
		Sections:   []teamsSection{{ActivityTitle: m.text, ActivitySubtitle: m.subject, Facts: facts}},
	}
}

type gchatMessage struct {
	Cards []gchatCard `json:"cards"`
}

type gchatCard struct {
	Header   gchatHeader    `json:"header"`
	Sections []gchatSection `json:"sections"`
}

type gchatHeader struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle"`
	ImageURL string `json:"imageUrl"`
}

type gchatSection struct {
	Widgets []gchatWidget `json:"widgets"`
}

type gchatWidget struct {
	TextParagraph gchatText `json:"textParagraph"`
}

type gchatText struct {
	Text string `json:"text"`
}

// gchatPayload is one card: the message as a grey bold paragraph, then one section per field.
func gchatPayload(m message) gchatMessage {
	paragraph := func(text string) gchatSection {
		return gchatSection{Widgets: []gchatWidget{{TextParagraph: gchatText{Text: text}}}}
	}
	const grey = "<font color=#848484><strong>%s</strong></font>"
	sections := []gchatSection{paragraph(fmt.Sprintf(grey, m.text))}
	for _, f := range m.fields {
		sections = append(sections, paragraph(f.Name+"<br>"+fmt.Sprintf(grey, f.Value)))
	}
	return gchatMessage{Cards: []gchatCard{{
		Header:   gchatHeader{Title: "Flagger", Subtitle: m.subject, ImageURL: "https://flagger.app/favicon.png"},
		Sections: sections,
	}}}
}
