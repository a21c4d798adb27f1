package main

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// throttles are the steady rates template.yaml lets through, as deployed with its parameters'
// defaults: the capacity model sets them against the profile.
type throttles struct {
	// HTTP is by route key ("POST /user/getToken.json"); HTTPDefault covers the routes not named.
	HTTP        map[string]float64 `json:"http"`
	HTTPDefault float64            `json:"httpDefault"`
	// WebSocket is the connection API stage's: every route ($connect, ping, sendMessage) shares it.
	WebSocket float64 `json:"webSocket"`
}

// forPath is the rate the HTTP API lets through to path.
func (t throttles) forPath(path string) float64 {
	if r, ok := t.HTTP["POST "+path]; ok {
		return r
	}
	return t.HTTPDefault
}

// cfnTemplate is the part of template.yaml the model reads.
type cfnTemplate struct {
	Parameters map[string]struct {
		Default any `yaml:"Default"`
	} `yaml:"Parameters"`
	Resources map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			DefaultRouteSettings routeSettings            `yaml:"DefaultRouteSettings"`
			RouteSettings        map[string]routeSettings `yaml:"RouteSettings"`
		} `yaml:"Properties"`
	} `yaml:"Resources"`
}

type routeSettings struct {
	Rate yaml.Node `yaml:"ThrottlingRateLimit"`
}

// readThrottles reads the throttles of the template at root.
func readThrottles(root string) (throttles, error) {
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return throttles{}, err
	}
	return parseThrottles(b)
}

func parseThrottles(b []byte) (throttles, error) {
	var t cfnTemplate
	if err := yaml.Unmarshal(b, &t); err != nil {
		return throttles{}, fmt.Errorf("template.yaml: %w", err)
	}
	// A rate is a number or a reference to a parameter (!Ref, or Ref: in the long form), read
	// at its default.
	rate := func(n yaml.Node) float64 {
		v := any(n.Value)
		if n.Tag == "!Ref" {
			v = t.Parameters[n.Value].Default
		} else if n.Kind == yaml.MappingNode {
			var ref struct {
				Ref string `yaml:"Ref"`
			}
			_ = n.Decode(&ref)
			v = t.Parameters[ref.Ref].Default
		}
		var f float64
		_, _ = fmt.Sscan(fmt.Sprint(v), &f)
		return f
	}
	out := throttles{HTTP: map[string]float64{}}
	for _, r := range t.Resources {
		p := r.Properties
		switch r.Type {
		case "AWS::Serverless::HttpApi":
			out.HTTPDefault = rate(p.DefaultRouteSettings.Rate)
			for k, s := range p.RouteSettings {
				out.HTTP[k] = rate(s.Rate)
			}
		case "AWS::ApiGatewayV2::Stage":
			out.WebSocket = rate(p.DefaultRouteSettings.Rate)
		}
	}
	if out.HTTPDefault == 0 || out.WebSocket == 0 {
		return out, fmt.Errorf("template.yaml: no throttle on the HTTP API or the WebSocket stage")
	}
	return out, nil
}
