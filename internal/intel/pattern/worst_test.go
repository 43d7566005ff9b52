package pattern

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestWorstCaseTime(t *testing.T) {
	var objs []map[string]any
	for i := range 2000 {
		objs = append(objs, map[string]any{
			"type": "observed-data", "id": fmt.Sprintf("observed-data--%d", i),
			"first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z",
			"number_observed": 1000,
			"objects":         map[string]any{"0": map[string]any{"type": "mutex", "name": "m", "l": []any{[]any{1, 2, 3}, []any{4, 5}}}},
		})
	}
	obs, _ := FromObjects(objs)
	for _, s := range []string{
		strings.Repeat("[mutex:name = 'm'] AND ", 200) + "[mutex:name = 'x']",
		strings.Repeat("[mutex:name = 'm'] FOLLOWEDBY ", 200) + "[mutex:name = 'x']",
		"[mutex:name = 'm'] REPEATS 1000000 TIMES WITHIN 1 SECONDS",
		"([mutex:name = 'm'] OR [mutex:l[*][*] > 2]) REPEATS 5000 TIMES",
		"[" + strings.Repeat("mutex:l[*][*] > 2 OR ", 2000) + "mutex:name = 'x']",
	} {
		start := time.Now()
		res, err := MustParse(s).Match(obs)
		t.Logf("%.60s: %v %v in %v", s, res != nil && res.Matched, err, time.Since(start))
	}
}
