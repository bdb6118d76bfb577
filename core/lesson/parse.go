package lesson

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"smrlab/core/scenario"
)

// parser reads one lesson file.
type parser struct {
	l        *Lesson
	file     string
	line     int
	raw      string // the current line, comment cut
	lines    []string
	world    []bool // lines that belong to an inline world
	inWorld  bool
	hasWorld bool
	step     *Step
	seen     map[string]int // header directives seen, by line
	// A step's fresh world: stepWorlds[i] marks the lines of step i's
	// inline world; inStepWorld while they are read; stepLines counts the
	// step's lines so far (its world comes first); stepSeed marks a seed
	// line of the step's world.
	stepWorlds  map[int][]bool
	inStepWorld bool
	stepLines   int
	stepSeed    bool
}

// stepWords are the directives of a step; any other line after a step's
// "world" belongs to its inline world.
var stepWords = []string{"step", "title", "say", "controls", "highlight", "setup", "predict", "choice", "answer",
	"explain", "goal", "hint", "hint:", "solution", "wrong"}

// header directives, which may come before the world or among its lines.
var headerWords = []string{"lesson", "title", "summary", "minutes", "question", "assumes", "reference", "world", "seed",
	"steps", "hide"}

// Parse reads a lesson. scenarios returns a shipped scenario's source by
// name, for "world scenario NAME" (nil: only inline worlds). Errors carry
// file:line:column.
func Parse(file string, src []byte, scenarios func(name string) ([]byte, error)) (*Lesson, error) {
	if len(src) > SourceBytesMax {
		return nil, &Error{File: file, Line: 1, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d", len(src), SourceBytesMax)}
	}
	p := &parser{l: &Lesson{File: file}, file: file, seen: map[string]int{}, stepWorlds: map[int][]bool{}}
	p.lines = strings.Split(string(src), "\n")
	p.world = make([]bool, len(p.lines))
	for i, line := range p.lines {
		p.line = i + 1
		if err := p.parseLine(line); err != nil {
			return nil, err
		}
	}
	if err := p.finish(scenarios); err != nil {
		return nil, err
	}
	return p.l, nil
}

func (p *parser) errAt(col int, format string, args ...any) error {
	return &Error{File: p.file, Line: p.line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parseLine(line string) error {
	if !utf8Valid(line) {
		return p.errAt(1, "the line is not valid UTF-8")
	}
	p.raw = stripComment(line)
	toks, badQuote := lex(p.raw)
	if badQuote > 0 {
		return p.errAt(badQuote, "a quoted string is not closed")
	}
	if len(toks) == 0 {
		if p.inWorld && p.step == nil {
			p.world[p.line-1] = true
		}
		return nil
	}
	kw := toks[0]
	if p.inStepWorld && !slices.Contains(stepWords, kw.text) && kw.text != "world" {
		return p.stepWorldLine(kw, toks[1:])
	}
	p.inStepWorld = false
	if kw.text == "hint:" {
		kw.text = "hint" // "hint: TEXT", unlocked at once
	}
	if p.step == nil && kw.text != "step" {
		if p.inWorld && !slices.Contains(headerWords, kw.text) {
			if kw.text == "expect" {
				return p.errAt(kw.col, "a lesson's world takes no expect lines: write what the student must reach as goals of a step")
			}
			p.world[p.line-1] = true
			return nil
		}
		return p.parseHeader(kw, toks[1:])
	}
	return p.parseStepLine(kw, toks[1:])
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// onlyOnce refuses a second header line of the same kind.
func (p *parser) onlyOnce(kw token) error {
	if prev, ok := p.seen[kw.text]; ok {
		return p.errAt(kw.col, "a second %s line (the first is on line %d)", kw.text, prev)
	}
	p.seen[kw.text] = p.line
	return nil
}

func (p *parser) parseHeader(kw token, args []token) error {
	l := p.l
	if kw.text != "assumes" && (kw.text != "seed" || !p.inWorld) {
		if err := p.onlyOnce(kw); err != nil {
			return err
		}
	}
	rest := restFrom(p.raw, kw.col+len(kw.text))
	need := func(what string) error {
		if rest == "" {
			return p.errAt(kw.col, "%s needs %s", kw.text, what)
		}
		return nil
	}
	switch kw.text {
	case "lesson":
		if len(args) != 1 || !isID(args[0].text) {
			return p.errAt(kw.col, "lesson takes one id of lowercase letters, digits and dashes, like: lesson elections")
		}
		l.ID = args[0].text
	case "title":
		l.Title = rest
		return need("a title")
	case "summary":
		l.Summary = rest
		return need("a one-line summary")
	case "question":
		l.Question = rest
		return need("the question the lesson answers")
	case "reference":
		l.Reference = rest
		return need("a reference, like: reference Raft paper §5.2 https://raft.github.io/raft.pdf")
	case "minutes":
		if len(args) != 1 {
			return p.errAt(kw.col, "minutes takes a number, like: minutes 5")
		}
		n, err := strconv.Atoi(args[0].text)
		if err != nil || n < 1 || n > 600 {
			return p.errAt(args[0].col, "minutes: want a whole number from 1 to 600, not %q", args[0].text)
		}
		l.Minutes = n
	case "assumes":
		for _, a := range args {
			if !isID(a.text) {
				return p.errAt(a.col, "assumes takes lesson ids, not %q", a.text)
			}
			l.Assumes = append(l.Assumes, a.text)
		}
	case "seed":
		return p.parseSeed(kw, args)
	case "world":
		return p.parseWorld(kw, args)
	case "steps":
		if rest != "start from solutions" {
			return p.errAt(kw.col, "write: steps start from solutions")
		}
		l.StartFromSolutions = true
	case "hide":
		if rest != "bugs" {
			return p.errAt(kw.col, "write: hide bugs")
		}
		l.HideBugs = true
	default:
		return p.errAt(kw.col, "unknown directive %q before the first step (known: %s, step)", kw.text, strings.Join(headerWords, ", "))
	}
	return nil
}

func (p *parser) parseSeed(kw token, args []token) error {
	if len(args) != 1 {
		return p.errAt(kw.col, "seed takes a number or per-student, like: seed 3")
	}
	if args[0].text == "per-student" {
		p.l.PerStudent = true
		return nil
	}
	v, err := strconv.ParseUint(args[0].text, 10, 64)
	if err != nil || v > scenario.SeedMax {
		return p.errAt(args[0].col, "seed: want a whole number up to %d or per-student, not %q", uint64(scenario.SeedMax), args[0].text)
	}
	p.l.Seed = v
	p.seen["seed-number"] = p.line
	if p.inWorld {
		p.world[p.line-1] = true // the scenario's seed too
	}
	return nil
}

func (p *parser) parseWorld(kw token, args []token) error {
	p.hasWorld = true
	switch {
	case len(args) == 0:
		p.inWorld = true
	case len(args) == 2 && args[0].text == "scenario":
		p.l.WorldName = args[1].text
		if !isID(args[1].text) {
			return p.errAt(args[1].col, "a scenario name is lowercase letters, digits and dashes, not %q", args[1].text)
		}
	default:
		return p.errAt(kw.col, "write: world scenario NAME (a shipped scenario), or world alone and the scenario's lines after it")
	}
	return nil
}

// isID reports a word of lowercase letters, digits and dashes.
func isID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (p *parser) parseStepLine(kw token, args []token) error {
	if kw.text == "step" {
		return p.startStep(kw, args)
	}
	p.stepLines++
	switch kw.text {
	case "world":
		return p.parseStepWorld(kw, args)
	case "seed":
		if p.step.World == nil || p.stepLines != 2 || p.stepSeed {
			return p.errAt(kw.col, "a seed line in a step belongs to its world: write it right after the step's world line")
		}
		return p.stepWorldSeed(kw, args)
	}
	s := p.step
	rest := restFrom(p.raw, kw.col+len(kw.text))
	switch kw.text {
	case "title":
		if rest == "" {
			return p.errAt(kw.col, "title needs the step's heading")
		}
		s.Title = rest
	case "say":
		s.Say = append(s.Say, rest)
	case "controls":
		return p.parseControls(kw, args)
	case "highlight":
		return p.parseHighlight(kw, args)
	case "setup", "solution":
		list := &s.Setup
		if kw.text == "solution" {
			list = &s.Solution
		}
		acts, err := p.parseActions(kw)
		if err != nil {
			return err
		}
		if len(*list)+len(acts) > ActionsPerListMax {
			return p.errAt(kw.col, "more than %d %s actions", ActionsPerListMax, kw.text)
		}
		*list = append(*list, acts...)
	case "wrong":
		acts, err := p.parseActions(kw)
		if err != nil {
			return err
		}
		s.Wrong = append(s.Wrong, WrongPath{Line: p.line, Actions: acts})
	case "predict":
		if s.Predict != nil {
			return p.errAt(kw.col, "a second prediction in step %s (the first is on line %d): one per step", s.ID, s.Predict.Line)
		}
		if rest == "" {
			return p.errAt(kw.col, "predict needs the question, like: predict What happens when you crash the leader?")
		}
		s.Predict = &Prediction{Question: rest, Line: p.line}
	case "choice", "answer", "explain":
		if s.Predict == nil {
			return p.errAt(kw.col, "%s belongs to a prediction: write predict QUESTION first", kw.text)
		}
		return p.parsePredictionLine(kw, args, rest)
	case "goal":
		return p.parseGoal(kw, args)
	case "hint":
		return p.parseHint(kw, args)
	default:
		return p.errAt(kw.col, "unknown directive %q in step %s (known: step, title, say, controls, highlight, setup, "+
			"predict, choice, answer, explain, goal, hint, solution, wrong)", kw.text, s.ID)
	}
	return nil
}

func (p *parser) startStep(kw token, args []token) error {
	if len(args) != 1 || !isID(args[0].text) {
		return p.errAt(kw.col, "step takes one id of lowercase letters, digits and dashes, like: step first-leader")
	}
	if len(p.l.Steps) >= StepsMax {
		return p.errAt(kw.col, "more than %d steps", StepsMax)
	}
	for _, o := range p.l.Steps {
		if o.ID == args[0].text {
			return p.errAt(args[0].col, "a second step %s (the first is on line %d)", o.ID, o.Line)
		}
	}
	if err := p.endStep(); err != nil {
		return err
	}
	p.l.Steps = append(p.l.Steps, Step{ID: args[0].text, Line: p.line})
	p.step = &p.l.Steps[len(p.l.Steps)-1]
	p.inWorld = false
	p.stepLines, p.stepSeed = 0, false
	return nil
}

// parseStepWorld reads a step's "world scenario NAME" or "world" (an inline
// world: the lines after it, up to the step's first directive).
func (p *parser) parseStepWorld(kw token, args []token) error {
	switch {
	case len(p.l.Steps) == 1:
		return p.errAt(kw.col, "the first step starts in the lesson's world: write it before the first step")
	case p.stepLines != 1:
		return p.errAt(kw.col, "a step's world comes first in the step, right after its step line")
	}
	w := &World{Line: p.line}
	switch {
	case len(args) == 0:
		p.inStepWorld = true
		p.stepWorlds[len(p.l.Steps)-1] = make([]bool, len(p.lines))
	case len(args) == 2 && args[0].text == "scenario":
		if !isID(args[1].text) {
			return p.errAt(args[1].col, "a scenario name is lowercase letters, digits and dashes, not %q", args[1].text)
		}
		w.Name = args[1].text
	default:
		return p.errAt(kw.col, "write: world scenario NAME (a shipped scenario), or world alone and the scenario's lines after it")
	}
	p.step.World = w
	return nil
}

// stepWorldLine reads a line of a step's inline world.
func (p *parser) stepWorldLine(kw token, args []token) error {
	switch kw.text {
	case "expect":
		return p.errAt(kw.col, "a lesson's world takes no expect lines: write what the student must reach as goals of a step")
	case "seed":
		if p.stepSeed {
			return p.errAt(kw.col, "a second seed line in step %s's world", p.step.ID)
		}
		if err := p.stepWorldSeed(kw, args); err != nil {
			return err
		}
		if p.step.World.PerStudent {
			return nil
		}
	}
	p.stepWorlds[len(p.l.Steps)-1][p.line-1] = true
	return nil
}

// stepWorldSeed reads the seed of a step's world: a number, or per-student.
func (p *parser) stepWorldSeed(kw token, args []token) error {
	if len(args) != 1 {
		return p.errAt(kw.col, "seed takes a number or per-student, like: seed 3")
	}
	p.stepSeed = true
	w := p.step.World
	if args[0].text == "per-student" {
		w.PerStudent = true
		return nil
	}
	v, err := strconv.ParseUint(args[0].text, 10, 64)
	if err != nil || v > scenario.SeedMax {
		return p.errAt(args[0].col, "seed: want a whole number up to %d or per-student, not %q", uint64(scenario.SeedMax), args[0].text)
	}
	w.Seed, w.seedSet = v, true
	return nil
}

func (p *parser) parseControls(kw token, args []token) error {
	if len(args) == 0 {
		return p.errAt(kw.col, "controls takes control names (known: %s)", strings.Join(Controls, " "))
	}
	for _, a := range args {
		if !slices.Contains(Controls, a.text) {
			return p.errAt(a.col, "unknown control %q (known: %s)", a.text, strings.Join(Controls, " "))
		}
		if p.l.HideBugs && (a.text == "bugs" || a.text == "scenario") {
			return p.errAt(a.col, "the lesson hides its bugs (hide bugs, line %d): a step cannot offer the %s control",
				p.seen["hide"], a.text)
		}
		if !slices.Contains(p.step.Controls, a.text) {
			p.step.Controls = append(p.step.Controls, a.text)
		}
	}
	return nil
}

func (p *parser) parseHighlight(kw token, args []token) error {
	const help = "write: highlight leader | server S2 | log S1 [INDEX] | panel NAME"
	if len(args) == 0 {
		return p.errAt(kw.col, "%s", help)
	}
	h := Highlight{Kind: args[0].text}
	switch {
	case h.Kind == "leader" && len(args) == 1:
	case (h.Kind == "server" && len(args) == 2) || (h.Kind == "log" && (len(args) == 2 || len(args) == 3)):
		n, ok := serverNumber(args[1].text)
		if !ok {
			return p.errAt(args[1].col, "want a server like S2, not %q", args[1].text)
		}
		h.Server = n
		if len(args) == 3 {
			v, err := strconv.ParseUint(args[2].text, 10, 64)
			if err != nil || v == 0 {
				return p.errAt(args[2].col, "want a log index (1 or more), not %q", args[2].text)
			}
			h.Index = v
		}
	case h.Kind == "panel" && len(args) == 2:
		if !slices.Contains(Panels, args[1].text) {
			return p.errAt(args[1].col, "unknown panel %q (known: %s)", args[1].text, strings.Join(Panels, " "))
		}
		h.Panel = args[1].text
	default:
		return p.errAt(kw.col, "%s", help)
	}
	p.step.Highlights = append(p.step.Highlights, h)
	return nil
}

// serverNumber reads S1..S99.
func serverNumber(s string) (int, bool) {
	if len(s) < 2 || len(s) > 3 || (s[0] != 'S' && s[0] != 's') {
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	return n, err == nil && n >= 1 && s[1] != '+' && s[1] != '-'
}

// parseActions reads the ;-separated actions of a setup, solution or wrong line.
func (p *parser) parseActions(kw token) ([]Action, error) {
	start := kw.col + len(kw.text) // 1-based column after the keyword
	text := p.raw[start-1:]
	var out []Action
	col := start
	for _, part := range strings.Split(text, ";") {
		lead := len(part) - len(strings.TrimLeft(part, " \t"))
		a := Action{Text: strings.TrimSpace(part), Line: p.line, Col: col + lead}
		col += len(part) + 1
		if a.Text == "" {
			return nil, p.errAt(a.Col, "an empty action (write actions separated by ;)")
		}
		if err := p.checkActionShape(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// checkActionShape reads wait and step actions; scenario actions are
// checked against the world once it is known (finish).
func (p *parser) checkActionShape(a *Action) error {
	f := strings.Fields(a.Text)
	switch f[0] {
	case "wait":
		if len(f) != 2 {
			return p.errAt(a.Col, "write: wait 500ms")
		}
		d, err := scenario.ParseDuration(f[1])
		if err != nil || d <= 0 || d > WaitMax {
			return p.errAt(a.Col+strings.Index(a.Text, f[1]), "wait: want a positive duration up to 1h, not %q", f[1])
		}
		a.Wait = d
	case "step":
		if len(f) != 2 || (f[1] != "event" && f[1] != "delivery") {
			return p.errAt(a.Col, "write: step event, or step delivery")
		}
	case "answer":
		return p.errAt(a.Col, "answer is not an action: lesson check answers the prediction itself")
	case "at", "recorded":
		return p.errAt(a.Col, "write the action without a time (a step's actions run in order; use wait DUR between them)")
	}
	return nil
}

func (p *parser) parsePredictionLine(kw token, args []token, rest string) error {
	pr := p.step.Predict
	switch kw.text {
	case "choice":
		if len(args) < 2 || !strings.HasSuffix(args[0].text, ":") || !isID(strings.TrimSuffix(args[0].text, ":")) {
			return p.errAt(kw.col, "write: choice a: the text of the choice")
		}
		id := strings.TrimSuffix(args[0].text, ":")
		for _, c := range pr.Choices {
			if c.ID == id {
				return p.errAt(args[0].col, "a second choice %s", id)
			}
		}
		pr.Choices = append(pr.Choices, Choice{ID: id, Text: restFrom(p.raw, args[1].col)})
	case "answer":
		if pr.Answer != "" {
			return p.errAt(kw.col, "a second answer (the first is on line %d)", pr.AnswerLine)
		}
		if len(args) < 3 || args[1].text != "when" {
			return p.errAt(kw.col, "write: answer b when CONDITION (the condition the run then shows)")
		}
		c, err := p.parseCond(args[2:])
		if err != nil {
			return err
		}
		pr.Answer, pr.When, pr.AnswerLine = args[0].text, c, p.line
		if !slices.ContainsFunc(pr.Choices, func(ch Choice) bool { return ch.ID == pr.Answer }) {
			return p.errAt(args[0].col, "the answer %q is none of the choices above it", pr.Answer)
		}
	case "explain":
		if rest == "" {
			return p.errAt(kw.col, "explain needs the explanation shown once the run reveals the answer")
		}
		if pr.Explain != "" {
			pr.Explain += " "
		}
		pr.Explain += rest
	}
	return nil
}

func (p *parser) parseGoal(kw token, args []token) error {
	if len(args) == 0 {
		return p.errAt(kw.col, "write: goal \"A label for the student\" CONDITION")
	}
	g := Goal{Line: p.line}
	if !args[0].quoted && args[0].text == "hidden" {
		// goal hidden "LABEL" CONDITION: scored, but not shown to the
		// student until the teacher closes the room.
		g.Hidden = true
		args = args[1:]
		if len(args) == 0 {
			return p.errAt(kw.col, "write: goal hidden \"A label\" CONDITION")
		}
	}
	if args[0].quoted {
		g.Label = strings.TrimSpace(args[0].text)
		args = args[1:]
		if g.Label == "" {
			return p.errAt(kw.col, "a goal's label is empty")
		}
	}
	if len(args) == 0 {
		return p.errAt(kw.col, "the goal needs a condition after its label")
	}
	c, err := p.parseCond(args)
	if err != nil {
		return err
	}
	g.Cond = c
	if g.Label == "" {
		g.Label = c.Text
	}
	p.step.Goals = append(p.step.Goals, g)
	return nil
}

// parseHint reads "hint after 2 attempts: TEXT", "hint after 5s: TEXT" or
// "hint: TEXT" (unlocked at once).
func (p *parser) parseHint(kw token, args []token) error {
	const help = "write: hint after 2 attempts: TEXT, hint after 10s: TEXT, or hint: TEXT"
	h := Hint{Line: p.line}
	colon := strings.IndexByte(p.raw, ':')
	if colon < 0 || colon < kw.col {
		return p.errAt(kw.col, "%s", help)
	}
	h.Text = strings.TrimSpace(p.raw[colon+1:])
	head := strings.Fields(p.raw[kw.col-1+len(kw.text) : colon])
	switch {
	case len(head) == 0:
	case len(head) == 3 && head[0] == "after" && (head[2] == "attempts" || head[2] == "attempt"):
		n, err := strconv.Atoi(head[1])
		if err != nil || n < 1 || n > 1000 {
			return p.errAt(kw.col, "hint: want a number of attempts from 1 to 1000, not %q", head[1])
		}
		h.Attempts = n
	case len(head) == 2 && head[0] == "after":
		d, err := scenario.ParseDuration(head[1])
		if err != nil || d <= 0 {
			return p.errAt(kw.col, "hint: want a positive duration of virtual time, not %q", head[1])
		}
		h.After = d
	default:
		return p.errAt(kw.col, "%s", help)
	}
	if h.Text == "" {
		return p.errAt(colon+1, "the hint's text is empty")
	}
	p.step.Hints = append(p.step.Hints, h)
	return nil
}

// endStep checks the step just read is complete.
func (p *parser) endStep() error {
	s := p.step
	if s == nil {
		return nil
	}
	at := func(line int, format string, args ...any) error {
		return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case s.Title == "":
		return at(s.Line, "step %s has no title line", s.ID)
	case len(s.Goals) == 0:
		return at(s.Line, "step %s has no goal: write at least one goal line", s.ID)
	case len(s.Solution) == 0:
		return at(s.Line, "step %s has no solution: write the actions that reach its goals (solution ...)", s.ID)
	}
	if pr := s.Predict; pr != nil {
		switch {
		case len(pr.Choices) < 2:
			return at(pr.Line, "the prediction of step %s needs at least two choice lines", s.ID)
		case pr.Answer == "":
			return at(pr.Line, "the prediction of step %s needs an answer line: answer ID when CONDITION", s.ID)
		case pr.Explain == "":
			return at(pr.Line, "the prediction of step %s needs an explain line", s.ID)
		}
	}
	if len(s.Controls) == 0 {
		s.Controls = []string{"all"}
	}
	return nil
}

func (p *parser) finish(scenarios func(string) ([]byte, error)) error {
	p.line = len(p.lines)
	if err := p.endStep(); err != nil {
		return err
	}
	l := p.l
	top := func(format string, args ...any) error {
		return &Error{File: p.file, Line: 1, Msg: fmt.Sprintf(format, args...)}
	}
	for _, h := range []struct{ v, name string }{{l.ID, "lesson ID"}, {l.Title, "title"}, {l.Summary, "summary"},
		{l.Question, "question"}} {
		if h.v == "" {
			return top("the lesson has no %s line", h.name)
		}
	}
	switch {
	case l.Minutes == 0:
		return top("the lesson has no minutes line (its estimate in minutes)")
	case !p.hasWorld:
		return top("the lesson has no world: write world scenario NAME, or world and the scenario's lines")
	case len(l.Steps) == 0:
		return top("the lesson has no step")
	case slices.Contains(l.Assumes, l.ID):
		return &Error{File: p.file, Line: p.seen["assumes"], Msg: "a lesson cannot assume itself"}
	}
	if err := p.loadWorld(scenarios); err != nil {
		return err
	}
	return p.checkAgainstWorld()
}

func (p *parser) loadWorld(scenarios func(string) ([]byte, error)) error {
	l := p.l
	file, src, sc, err := p.readWorld(l.WorldName, p.world, p.seen["world"], scenarios)
	if err != nil {
		return err
	}
	l.WorldFile, l.WorldSource, l.Scenario = file, src, sc
	if _, ok := p.seen["seed-number"]; !ok {
		l.Seed = sc.Seed
	}
	for i := range l.Steps {
		w := l.Steps[i].World
		if w == nil {
			continue
		}
		w.File, w.Source, w.Scenario, err = p.readWorld(w.Name, p.stepWorlds[i], w.Line, scenarios)
		if err != nil {
			return err
		}
		if w.PerStudent && !l.PerStudent {
			return &Error{File: p.file, Line: w.Line, Msg: fmt.Sprintf("step %s's world has seed per-student, "+
				"but the lesson does not: write seed per-student for the lesson's world too", l.Steps[i].ID)}
		}
		if !w.seedSet {
			w.Seed = w.Scenario.Seed
		}
	}
	return nil
}

// readWorld reads a world: a shipped scenario by name, or the lines of the
// lesson file that mask marks (the others commented out, so that the
// scenario's errors carry the lesson's line numbers).
func (p *parser) readWorld(name string, mask []bool, line int, scenarios func(string) ([]byte, error)) (string, []byte, *scenario.Scenario, error) {
	var file string
	var src []byte
	if name != "" {
		if scenarios == nil {
			return "", nil, nil, &Error{File: p.file, Line: line, Msg: "this reader has no shipped scenarios: write the world inline"}
		}
		b, err := scenarios(name)
		if err != nil {
			return "", nil, nil, &Error{File: p.file, Line: line, Msg: fmt.Sprintf("scenario %s: %v", name, err)}
		}
		file, src = name+".scn", b
	} else {
		var b strings.Builder
		last := 0
		for i, in := range mask {
			if in {
				last = i + 1
			}
		}
		for i, line := range p.lines[:last] {
			if !mask[i] && strings.TrimSpace(line) != "" {
				b.WriteString("# ")
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		file, src = p.file, []byte(b.String())
	}
	sc, err := scenario.Parse(file, src)
	if err != nil {
		return "", nil, nil, err
	}
	if name == "" && len(sc.Expect) > 0 && sc.Expect[0].Line > 0 {
		return "", nil, nil, &Error{File: p.file, Line: sc.Expect[0].Line, Msg: "a lesson's world takes no expect lines"}
	}
	return file, src, sc, nil
}

// checkAgainstWorld checks what needs the cluster's size: the servers that
// highlights and conditions name, and every action.
func (p *parser) checkAgainstWorld() error {
	l := p.l
	sc := l.Scenario
	for si := range l.Steps {
		s := &l.Steps[si]
		if s.World != nil {
			sc = s.World.Scenario // the world in force from this step on
		}
		n := sc.Config.Servers
		for _, h := range s.Highlights {
			if h.Server > n {
				return &Error{File: p.file, Line: s.Line, Msg: fmt.Sprintf("step %s highlights S%d in a cluster of %d", s.ID, h.Server, n)}
			}
		}
		conds := []*Cond{}
		for i := range s.Goals {
			conds = append(conds, &s.Goals[i].Cond)
		}
		if s.Predict != nil {
			conds = append(conds, &s.Predict.When)
		}
		for _, c := range conds {
			if err := c.checkServers(n); err != nil {
				return &Error{File: p.file, Line: c.Line, Col: c.Col, Msg: err.Error()}
			}
		}
		lists := [][]Action{s.Setup, s.Solution}
		for _, w := range s.Wrong {
			lists = append(lists, w.Actions)
		}
		for _, list := range lists {
			for _, a := range list {
				if err := p.checkAction(sc, a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkAction parses a scenario action as the session will, so that a
// mistake is refused with its place in the lesson file.
func (p *parser) checkAction(sc *scenario.Scenario, a Action) error {
	if a.Wait > 0 || strings.HasPrefix(a.Text, "step ") {
		return nil
	}
	const prefix = "at 0us "
	_, err := scenario.ParseAction(prefix+a.Text, sc.Config.Servers, sc.Config.Net)
	if err == nil {
		return nil
	}
	var se *scenario.Error
	msg := err.Error()
	col := a.Col
	if errors.As(err, &se) {
		msg = se.Msg
		col = a.Col + max(se.Col-len(prefix)-1, 0)
	}
	return &Error{File: p.file, Line: a.Line, Col: col, Msg: msg}
}
