package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// object is what the table shows of one object of a kind the operator manages. id is the ID
// column: the server's ID for a server and for the users and accesses on it, the workflow's or
// the connector's own; state is a server's or a connector's AWS state.
type object struct {
	kind, name string
	generation int64
	deleting   bool
	id         string
	state      string
	conditions []metav1.Condition
}

func serverObject(s *v1alpha1.TransferServer) object {
	return object{kind: "TransferServer", name: s.Name, generation: s.Generation, deleting: !s.DeletionTimestamp.IsZero(),
		id: s.Status.ServerID, state: s.Status.State, conditions: s.Status.Conditions}
}

func userObject(u *v1alpha1.TransferUser) object {
	return object{kind: "TransferUser", name: u.Name, generation: u.Generation, deleting: !u.DeletionTimestamp.IsZero(),
		id: u.Status.ServerID, conditions: u.Status.Conditions}
}

func accessObject(a *v1alpha1.TransferAccess) object {
	return object{kind: "TransferAccess", name: a.Name, generation: a.Generation, deleting: !a.DeletionTimestamp.IsZero(),
		id: a.Status.ServerID, conditions: a.Status.Conditions}
}

func workflowObject(w *v1alpha1.TransferWorkflow) object {
	return object{kind: "TransferWorkflow", name: w.Name, generation: w.Generation, deleting: !w.DeletionTimestamp.IsZero(),
		id: w.Status.WorkflowID, conditions: w.Status.Conditions}
}

func connectorObject(c *v1alpha1.TransferConnector) object {
	return object{kind: "TransferConnector", name: c.Name, generation: c.Generation, deleting: !c.DeletionTimestamp.IsZero(),
		id: c.Status.ConnectorID, state: c.Status.State, conditions: c.Status.Conditions}
}

func (o object) key() string { return o.kind + "/" + o.name }

// current returns the condition of type typ if it was set for the object's current generation.
func (o object) current(typ string) *metav1.Condition {
	c := meta.FindStatusCondition(o.conditions, typ)
	if c == nil || c.ObservedGeneration != o.generation {
		return nil
	}
	return c
}

// ready reports whether the operator says AWS matches the current spec.
func (o object) ready() bool {
	c := o.current(v1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && !o.deleting
}

// stalled returns the Stalled condition when retrying cannot help.
func (o object) stalled() *metav1.Condition {
	if c := o.current(v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		return c
	}
	return nil
}

// cells are the table's columns for the object. STATUS is Ready, or why the object is not:
// the reason of its Ready condition, Pending before the operator has seen a change, Deleting.
func (o object) cells() []string {
	status := "-"
	if c := meta.FindStatusCondition(o.conditions, v1alpha1.ConditionReady); c != nil {
		status = c.Reason
		switch {
		case c.ObservedGeneration != o.generation:
			status = "Pending"
		case c.Status == metav1.ConditionTrue:
			status = "Ready"
		case o.stalled() != nil:
			status = "Stalled: " + c.Reason
		}
	}
	if o.deleting && status != v1alpha1.ReasonWaitingForUsers {
		status = v1alpha1.ReasonDeleting
	}
	return []string{o.kind, o.name, dash(o.id), dash(o.state), status}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var header = []string{"KIND", "NAME", "ID", "STATE", "STATUS"}

// minWidths keep the table steady while IDs and states appear.
var minWidths = []int{0, 0, len("s-0123456789abcdef0"), len("STOPPING"), 0}

// widths are the column widths: the widest cell, header included.
func widths(objs []object) []int {
	w := make([]int, len(header))
	for i, h := range header {
		w[i] = max(len(h), minWidths[i])
	}
	for _, o := range objs {
		for i, c := range o.cells() {
			w[i] = max(w[i], len(c))
		}
	}
	return w
}

func formatRow(cells []string, w []int) string {
	var b strings.Builder
	b.WriteString("  ")
	for i, c := range cells {
		if i == len(cells)-1 {
			b.WriteString(c)
			break
		}
		fmt.Fprintf(&b, "%-*s  ", w[i], c)
	}
	return b.String()
}

// tableLines renders objs as a table, or a note that there are none.
func tableLines(objs []object) []string {
	if len(objs) == 0 {
		return []string{"  (no objects)"}
	}
	w := widths(objs)
	lines := []string{formatRow(header, w)}
	for _, o := range objs {
		lines = append(lines, formatRow(o.cells(), w))
	}
	return lines
}

// view shows the objects while the demo waits. On a terminal it redraws one table in place;
// elsewhere (a pipe, a CI log) it prints a line for each change, then the final table.
type view struct {
	out   io.Writer
	tty   *os.File
	start time.Time
	// drawn is the number of lines the live table occupies on the terminal.
	drawn int
	// last is the cells last printed for each object, by key.
	last  map[string]string
	width []int
}

// newView returns a view that, off a terminal, prints only what changed since last, which it
// updates.
func newView(out io.Writer, tty *os.File, last map[string]string) *view {
	return &view{out: out, tty: tty, start: time.Now(), last: last}
}

// update shows objs; note is a one-line status under the live table.
func (v *view) update(objs []object, note string) {
	if v.tty != nil {
		v.redraw(append(tableLines(objs), "  "+note))
		return
	}
	if v.width == nil {
		// Wide enough for the rows of objects gone since last shown, too.
		v.width = widths(objs)
		for key := range v.last {
			kind, name, _ := strings.Cut(key, "/")
			v.width[0], v.width[1] = max(v.width[0], len(kind)), max(v.width[1], len(name))
		}
	}
	seen := map[string]bool{}
	for _, o := range objs {
		seen[o.key()] = true
		cells := o.cells()
		line := strings.Join(cells, " ")
		if v.last[o.key()] == line {
			continue
		}
		v.last[o.key()] = line
		fmt.Fprintf(v.out, "  %5.1fs%s\n", time.Since(v.start).Seconds(), formatRow(cells, v.width))
	}
	for _, key := range slices.Sorted(maps.Keys(v.last)) {
		if !seen[key] {
			kind, name, _ := strings.Cut(key, "/")
			fmt.Fprintf(v.out, "  %5.1fs%s\n", time.Since(v.start).Seconds(), formatRow([]string{kind, name, "(gone)"}, v.width))
			delete(v.last, key)
		}
	}
}

// finish leaves the final table of objs on the screen, with summary under it.
func (v *view) finish(objs []object, summary string) {
	lines := append(tableLines(objs), "  "+summary)
	if v.tty != nil {
		v.redraw(lines)
		v.drawn = 0
		return
	}
	for _, l := range lines {
		fmt.Fprintln(v.out, l)
	}
}

func (v *view) redraw(lines []string) {
	if v.drawn > 0 {
		// Up to the first line of the previous table, then clear to the end of the screen.
		fmt.Fprintf(v.out, "\x1b[%dF\x1b[J", v.drawn)
	}
	// Lines are cut to the terminal's width: a wrapped line would throw the count off.
	width := terminalWidth(v.tty)
	for _, l := range lines {
		if width > 1 && len(l) >= width {
			l = l[:width-1]
		}
		fmt.Fprintln(v.out, l)
	}
	v.drawn = len(lines)
}

// terminal returns f if it is a terminal, nil otherwise.
func terminal(f *os.File) *os.File {
	if _, err := winsize(f); err != nil {
		return nil
	}
	return f
}

// terminalWidth returns the number of columns of the terminal f, or 0 if unknown.
func terminalWidth(f *os.File) int {
	ws, err := winsize(f)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}

type windowSize struct{ Row, Col, X, Y uint16 }

// winsize asks the terminal driver for f's size; it fails when f is not a terminal.
func winsize(f *os.File) (windowSize, error) {
	var ws windowSize
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return ws, errno
	}
	return ws, nil
}
