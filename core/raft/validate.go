package raft

import (
	"errors"
	"fmt"
)

// NumberMax bounds the terms and indexes a message may carry: far more than
// any run reaches, and far enough below 2^64 that adding one never wraps
// around to 0 (a term that goes back, or a log that starts over).
const NumberMax = 1 << 62

// checkShape refuses a message no correct server sends, whatever the
// receiver's state: Raft trusts its peers (no Byzantine faults), but a
// garbled message must not panic a server, corrupt its log or leave on its
// disk what it could not restart from.
func checkShape(m *Message) error {
	if max(m.Term, m.LogTerm, m.Index, m.Commit, m.Hint) > NumberMax {
		return fmt.Errorf("a term or index past %d", uint64(NumberMax))
	}
	if m.Term == 0 && m.Type != MsgPreVoteResp {
		// Every message carries its sender's term, at least 1 once it has
		// taken part in an election; only a pre-vote refusal from a server
		// that never has carries 0.
		return errors.New("term 0")
	}
	switch m.Type {
	case MsgApp:
		return checkEntries(m)
	case MsgSnap:
		switch {
		case m.Index == 0 || m.LogTerm == 0 || m.LogTerm > m.Term:
			return fmt.Errorf("snapshot at index %d of term %d (message of term %d)", m.Index, m.LogTerm, m.Term)
		case m.Offset+uint64(len(m.Data)) < m.Offset:
			return fmt.Errorf("chunk at offset %d runs past the largest offset", m.Offset)
		case m.Done && m.Config == nil:
			return errors.New("last chunk without the snapshot's configuration")
		case m.Done:
			if err := m.Config.Validate(); err != nil {
				return fmt.Errorf("last chunk: %w", err)
			}
		}
	}
	return nil
}

// checkEntries refuses an AppendEntries whose entries do not follow
// prevLogIndex one by one, or whose terms are 0, go back, start before
// prevLogTerm or pass the leader's term (a leader's log never does), or
// that carries an entry a server could not apply or restart from.
func checkEntries(m *Message) error {
	if m.Index+uint64(len(m.Entries)) > NumberMax {
		return fmt.Errorf("%d entries after index %d run past index %d", len(m.Entries), m.Index, uint64(NumberMax))
	}
	prev := m.LogTerm
	for i := range m.Entries {
		e := &m.Entries[i]
		switch {
		case e.Index != m.Index+1+uint64(i):
			return fmt.Errorf("entry %d of %d has index %d after prevLogIndex %d", i+1, len(m.Entries), e.Index, m.Index)
		case e.Term == 0 || e.Term > m.Term || e.Term < prev:
			return fmt.Errorf("entry %d has term %d after term %d (message of term %d)", e.Index, e.Term, prev, m.Term)
		case e.Type > EntryConfig:
			return fmt.Errorf("entry %d is of unknown type %d", e.Index, e.Type)
		case e.Type == EntryConfig:
			if _, err := DecodeConfig(e.Data); err != nil {
				return fmt.Errorf("entry %d: %w", e.Index, err)
			}
		}
		prev = e.Term
	}
	return nil
}
