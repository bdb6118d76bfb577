package linear_test

import (
	"fmt"
	"time"

	"smrlab/core/linear"
)

// A stale read: client 3 reads "1" after client 2's put of "2" returned.
func ExampleCheck() {
	h := linear.NewHistory()
	h.Invoke(1, 1, linear.Put, "x", "1", 1_000_000)
	h.Complete(1, 1, "", false, 1_010_000)
	h.Invoke(2, 4, linear.Put, "x", "2", 1_100_000)
	h.Invoke(3, 9, linear.Get, "x", "", 1_120_000)
	h.Complete(2, 4, "", false, 1_250_000)
	h.Invoke(1, 2, linear.Append, "y", "a", 1_200_000)
	h.Indeterminate(1, 2, 1_700_000)
	h.Complete(3, 9, "1", true, 1_400_000)
	h.Invoke(3, 10, linear.Get, "x", "", 1_500_000)
	h.Complete(3, 10, "1", true, 1_600_000)

	res := linear.Check(h.Ops(), time.Second)
	fmt.Println(res)
	fmt.Println(res.Violation.Explanation)
	// Output:
	// not linearizable on key "x" (5 operations on 2 keys)
	// Key "x" is not linearizable: no order of its 4 operations, each placed between its call and its return, agrees with the results the clients saw.
	// The longest order that does agree has 3 of them:
	//   1. client 1 op 1 put("x", "1") [1s, 1.01s]
	//   2. client 3 op 9 get("x") -> "1" [1.12s, 1.4s]
	//   3. client 2 op 4 put("x", "2") [1.1s, 1.25s]
	// After them "x" holds "2", and none of the operations that could come next fits:
	//   client 3 op 10 get("x") -> "1" [1.5s, 1.6s]: it returned "1", but "x" holds "2"
}
