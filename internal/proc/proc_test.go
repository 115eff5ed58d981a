package proc

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Error("this process is not alive")
	}
	if Alive(0) || Alive(-1) {
		t.Error("pid 0 or -1 is alive")
	}
	// A process that exited but was not waited for yet is a zombie: gone.
	z := exec.Command(os.Args[0], "-test.run=^$")
	if err := z.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for Alive(z.Process.Pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if Alive(z.Process.Pid) && runtime.GOOS == "linux" {
		t.Errorf("process %d exited (not waited for), yet is alive", z.Process.Pid)
	}
	_ = z.Wait()
	// A process that ran and was waited for is gone.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if Alive(cmd.Process.Pid) {
		t.Errorf("process %d exited, yet is alive", cmd.Process.Pid)
	}
}
