package bot

import (
	"strings"
	"testing"
)

func TestSmokeRoundToReveal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales)
	h.answerAll(mkt, []int{2, 2, 2, 2, 2, 0, 0, 0, 0, 0})
	h.submit(mkt)
	h.answerAll(sales, []int{2, 2, 2, 2, 2, 1, 0, 0, 0, 0})
	h.submit(sales)
	rv := h.waitMessage(revenue, "Alignment reveal")
	t.Log(rv.VisibleText())
	h.waitFor("thread", func() bool { return strings.Contains(h.thread(rv), "Question by question") })
	t.Log(h.thread(rv))
}
