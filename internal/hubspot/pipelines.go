package hubspot

import (
	"context"
	"encoding/json"
	"strconv"
)

// Pipeline is a pipeline of an object type (deals have one or more) from
// /crm/v3/pipelines/{objectType}
// (https://developers.hubspot.com/docs/api/crm/pipelines).
type Pipeline struct {
	ID           string          `json:"id"`
	Label        string          `json:"label"`
	DisplayOrder int             `json:"displayOrder"`
	Archived     bool            `json:"archived"`
	Stages       []PipelineStage `json:"stages"`
}

// PipelineStage is one stage of a pipeline. Its ID is the value a deal's
// dealstage holds; labels repeat across pipelines ("Closed Won" in each), ids
// do not.
type PipelineStage struct {
	ID           string        `json:"id"`
	Label        string        `json:"label"`
	DisplayOrder int           `json:"displayOrder"`
	Archived     bool          `json:"archived"`
	Metadata     StageMetadata `json:"metadata"`
}

// StageMetadata is a stage's metadata. HubSpot's spec types it as a map of
// strings (a deal stage's "probability": "0.2", "isClosed": "false"); numbers
// and booleans are accepted too and kept as their text.
type StageMetadata map[string]string

// UnmarshalJSON keeps every scalar value as text and drops the others.
func (m *StageMetadata) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := make(StageMetadata, len(raw))
	for k, v := range raw {
		if s, ok := lenientString(v); ok {
			out[k] = s
		}
	}
	*m = out
	return nil
}

// Probability is a deal stage's win probability, 0 to 1; ok is false when the
// stage has none or it is not a number.
func (s *PipelineStage) Probability() (p float64, ok bool) {
	p, err := strconv.ParseFloat(s.Metadata["probability"], 64)
	return p, err == nil
}

// IsClosed reports whether a deal in the stage is closed (won or lost).
func (s *PipelineStage) IsClosed() bool {
	closed, _ := strconv.ParseBool(s.Metadata["isClosed"])
	return closed
}

// ListPipelines returns the pipelines of an object type ("deals") with their
// stages. HubSpot does not page this endpoint. Idempotent.
func (c *Client) ListPipelines(ctx context.Context, objectType string) ([]Pipeline, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	var out struct {
		Results []Pipeline `json:"results"`
	}
	_, err := c.send(ctx, c.request(opListPipelines, objectType), &out)
	if err != nil {
		return nil, err
	}
	return out.Results, nil
}
