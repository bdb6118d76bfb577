package raft

// EncodeConfig is encodeConfig for the external tests (FuzzStep): the data
// of a configuration entry.
func EncodeConfig(c *Configuration) []byte { return encodeConfig(c) }
