//go:build race

package funnelq

// Under -race the stress tests use fewer messages (see stressPerProducer).
const raceEnabled = true
