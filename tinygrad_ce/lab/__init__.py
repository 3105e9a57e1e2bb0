"""The lab: tools that look at the engine from outside, built on `training.fit` and the graph.

- `tinygrad_ce.lab.viz`: Graphviz drawings of computation graphs (forward, backward,
  fused next to unfused);
- `tinygrad_ce.lab.compare`: the fused and unfused cross-entropy measured against each
  other (values, gradients, time, memory, graph size) and swept over logit gaps;
- `tinygrad_ce.lab.study`: the CE-vs-MSE study and its report.

Nothing is imported here: each subpackage loads when it is first imported.
"""
