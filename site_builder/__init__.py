"""The collection's pages outside the notebooks' own files: the web book (build.py, run as a script)
and the servers that the browser tests and the latency benchmarks open pages on.

    site_builder.offline   a built web book on 127.0.0.1, read in Chromium with every other host
                           refused; Chromium's path and arguments
    site_builder.jupyter   JupyterLab and the Voila lecture view serving a temporary copy of the
                           notebooks
"""
