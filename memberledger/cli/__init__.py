"""What the `ape run` scripts share: their options, the error boundary (one red line, exit
code 2), results drawn as tables, and the demo.

Modules: `options`, `boundary`, `render`, `demo`.
May import: anything in the package; nothing imports it but `scripts/`.
"""
