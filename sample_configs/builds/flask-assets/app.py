from flask import Flask, render_template
from flask_assets import Bundle, Environment

app = Flask(__name__)

# Versions go into the URL (url_expire) and are persisted in a JSON manifest
# (static/.webassets-manifest) so the running app needs no cache to find them.
app.config["ASSETS_URL_EXPIRE"] = True
app.config["ASSETS_MANIFEST"] = "json"
app.config["ASSETS_AUTO_BUILD"] = False

assets = Environment(app)

# Version placeholder in the file name: static/gen/packed.<version>.js
js = Bundle(
    "js/util.js",
    "js/app.js",
    filters="rjsmin",
    output="gen/packed.%(version)s.js",
)
# Plain file name: the version goes into the query string, ?<version>
css = Bundle(
    "css/base.css",
    "css/layout.css",
    filters="rcssmin",
    output="gen/site.css",
)
assets.register("js_all", js)
assets.register("css_all", css)


@app.route("/")
def index():
    return render_template("index.html")
