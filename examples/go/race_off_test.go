//go:build !race

package funnelq

const raceEnabled = false
