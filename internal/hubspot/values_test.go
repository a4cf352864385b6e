package hubspot

import (
	"encoding/json"
	"testing"
	"time"
)

// TestTimestampReadsWhatFieldsReads: createdAt and updatedAt are read by fields.ParseInstant,
// as every stored instant is, in ISO 8601 or epoch milliseconds; what it cannot read (or an
// epoch-millisecond number outside years 1900–9999) is the zero time, not a failed response.
func TestTimestampReadsWhatFieldsReads(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC)
	cases := []struct {
		json string
		want time.Time
	}{
		{`"2026-11-27T14:30:00.000Z"`, at},
		{`"2026-11-27T15:30:00+01:00"`, at},
		{`1795789800000`, at},
		{`"1795789800000"`, at},
		{`" 1795789800000 "`, at},
		{`null`, time.Time{}},
		{`""`, time.Time{}},
		{`"yesterday"`, time.Time{}},
		{`99999999999999999`, time.Time{}}, // year 3170843: an id, not a time
	}
	for _, tc := range cases {
		var got Timestamp
		if err := json.Unmarshal([]byte(tc.json), &got); err != nil || !got.Equal(tc.want) {
			t.Errorf("Timestamp of %s = %v, %v; want %v", tc.json, got.Time, err, tc.want)
		}
	}
}
