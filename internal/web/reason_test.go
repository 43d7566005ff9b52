package web

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/validation"
	"github.com/liaison-dev/liaison/internal/web/locale"
)

// TestCallReasonTranslated: a call's reason is shown in the officer's
// language from its code, its domain values translated too; a call
// recorded without a code shows its English text.
func TestCallReasonTranslated(t *testing.T) {
	code := func(name string) string { return "hotline" + ".reason_" + name } // not a catalogue key itself
	call := hotline.CallView{Reason: "urgent preservation request US-2026-0001: Mailbox", ReasonCode: code("request"),
		ReasonParams: validation.Params{"priority": "urgent", "type": "preservation", "reference": "US-2026-0001", "title": "Mailbox"}}
	breach := hotline.CallView{Reason: "deadline breach (answer) US-2026-0001: Mailbox", ReasonCode: code("breach"),
		ReasonParams: validation.Params{"phase": "answer", "reference": "US-2026-0001", "title": "Mailbox"}}
	drill := hotline.CallView{Reason: "drill from CN (cn-officer)", ReasonCode: code("drill_in"),
		ReasonParams: validation.Params{"party": "CN", "by": "cn-officer"}}
	old := hotline.CallView{Reason: "urgent preservation request US-2026-0001: Mailbox"}
	cases := []struct {
		lang string
		call hotline.CallView
		want string
	}{
		{"zh-CN", call, "紧急存储数据快速保全请求 US-2026-0001：Mailbox"},
		{"zh-CN", breach, "期限已过（答复）US-2026-0001：Mailbox"},
		{"zh-CN", drill, "来自 CN 的演练（cn-officer）"},
		{"zh-CN", old, old.Reason},
		{"en", call, "urgent Preservation of stored data request US-2026-0001: Mailbox"},
		{"en", breach, breach.Reason},
	}
	for _, c := range cases {
		v := &View{p: locale.Printer{Lang: c.lang}}
		if got := v.callReason(c.call); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.lang, c.call.ReasonCode, got, c.want)
		}
	}
}
