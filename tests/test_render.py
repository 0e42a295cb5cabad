"""The rendered copy: executed notebooks as static HTML, figures and widgets included."""

from __future__ import annotations

import base64
import io
import re

import nbformat
import numpy as np
import pytest
from PIL import Image

from gru_edu.tools.render import WIDGET_STATE, WIDGET_VIEW, render_collection, static_widgets

IMG = re.compile(r'<img[^>]*?src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')
WIDGET_IMG = re.compile(r'<img[^>]*class="widget-static"[^>]*src="data:image/png;base64,'
                        r'([A-Za-z0-9+/=]+)"')


def _png(width=40, height=30) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 200, np.uint8)).save(buf, format="png")
    return buf.getvalue()


def _model(name, **state):
    return {"model_name": name, "model_module": "@jupyter-widgets/controls",
            "model_module_version": "2.0.0", "state": {"_model_name": name, **state}}


def test_widget_outputs_become_their_last_static_view():
    png = base64.b64encode(_png()).decode()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("explorer")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={WIDGET_VIEW: {"model_id": "box", "version_major": 2},
                              "text/plain": "VBox(...)"})]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {WIDGET_STATE: {"version_major": 2, "state": {
        "box": _model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_menu",
                                             "IPY_MODEL_image"]),
        "slider": _model("FloatSliderModel", description="b_z", value=4.0),
        "menu": _model("DropdownModel", description="sort", index=1,
                       _options_labels=["position", "correlation"]),
        "image": {**_model("ImageModel", format="png"),
                  "buffers": [{"data": png, "encoding": "base64", "path": ["value"]}]},
    }}}
    assert static_widgets(nb) == 1
    html = cell.outputs[0]["data"]["text/html"]
    assert WIDGET_VIEW not in cell.outputs[0]["data"] and "widgets" not in nb.metadata
    assert "<b>b_z</b> 4" in html and "<b>sort</b> correlation" in html
    assert WIDGET_IMG.search(html).group(1) == png


def test_a_widget_without_saved_state_says_to_run_the_notebook():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("w")
    cell.outputs = [nbformat.v4.new_output("display_data",
                                           data={WIDGET_VIEW: {"model_id": "gone"}})]
    nb.cells.append(cell)
    static_widgets(nb)
    assert "run the notebook" in cell.outputs[0]["data"]["text/html"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    pages = render_collection(out, fast=True, notebooks=["01_gru_equations"], progress=False)
    return out, pages


def test_rendered_notebook_has_its_figures_and_explorer_pictures(site):
    out, pages = site
    assert [p.ok for p in pages] == [True], pages
    html = (out / "01_gru_equations.html").read_text()
    images = IMG.findall(html)
    widget_images = WIDGET_IMG.findall(html)
    # the notebook's static figures, plus the two explorers as their last view
    assert len(widget_images) == 2 and len(images) >= 4, (len(images), len(widget_images))
    for data in widget_images:
        img = Image.open(io.BytesIO(base64.b64decode(data)))
        pixels = np.asarray(img.convert("L"), dtype=float)
        assert img.width >= 400 and img.height >= 200
        assert pixels.std() > 10, "a blank picture"
    assert WIDGET_VIEW not in html and "widget-state+json" not in html
    # the cell explorer shows the slider values the later cell set (b_z = 4)
    assert "<b>$b_z$</b> 4" in html


def test_index_links_every_rendered_page(site):
    out, pages = site
    index = (out / "index.html").read_text()
    for page in pages:
        assert f'href="{page.html}"' in index and page.title in index
    assert (out / ".nojekyll").exists()


def test_images_get_the_alt_text_the_kernel_recorded():
    from gru_edu.tools.render import images_with_alt

    png = base64.b64encode(_png()).decode()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plt.show()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": png},
                               metadata={"image/png": {"alt": "Gates of unit 3; x axis: step"}}),
        nbformat.v4.new_output("display_data", data={"image/png": png}),
    ]
    nb.cells.append(cell)
    assert images_with_alt(nb) == 2
    first, second = (o["data"]["text/html"] for o in cell.outputs)
    assert 'alt="Gates of unit 3; x axis: step"' in first and png in first
    assert "No description" not in second and 'alt="A figure drawn' in second


def test_accessible_page_drops_cdn_scripts_and_styles_code():
    from gru_edu.tools.render import CODE_STYLE, accessible_page

    page = ('<html><head><script src="https://cdnjs.cloudflare.com/x/require.min.js">'
            '</script><script type="module">import("https://cdnjs.cloudflare.com/m.mjs")'
            '</script></head><body><main>$x$</main></body></html>')
    offline = accessible_page(page, "_static/tex-svg.js")
    assert "cdnjs" not in offline and 'src="_static/tex-svg.js"' in offline
    assert "--jp-cell-prompt-not-active-opacity: 1" in offline
    assert CODE_STYLE.startswith("a11y")
    without = accessible_page(page, None)
    assert "Math is shown as TeX source" in without and "<script defer" not in without
