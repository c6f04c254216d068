// Live explorers with no kernel: every explorer on the page is an anywidget widget whose ES module
// computes and draws in the browser. The page carries each explorer's stored widget state (from the
// notebook's metadata); this script gives the module a small stand-in for the widget model (get,
// set, on, off, save_changes, send) initialised from that state, and calls render({model, el}).
// Until the module has drawn, and if it cannot run, the explorer's static snapshot stays in place.
(function () {
  "use strict";
  var holder = document.getElementById("explorer-state");
  var models = holder ? JSON.parse(holder.textContent) : {};

  function Model(id, entry) {
    this.model_id = id;
    this.name = entry.model_name;
    this.attributes = Object.assign({}, entry.state);
    this.listeners = [];
    this.widget_manager = {
      get_model: function (ref) {
        return Promise.resolve(live(String(ref).replace(/^IPY_MODEL_/, "")));
      }
    };
  }
  Model.prototype.get = function (name) { return this.attributes[name]; };
  Model.prototype.set = function (name, value) {
    var changes = {};
    if (typeof name === "object" && name !== null) changes = name;
    else changes[name] = value;
    var changed = false;
    for (var key in changes) {
      if (!Object.prototype.hasOwnProperty.call(changes, key)) continue;
      if (this.attributes[key] === changes[key]) continue;
      this.attributes[key] = changes[key];
      changed = true;
      this.trigger("change:" + key, this, changes[key]);
    }
    if (changed) this.trigger("change", this);
  };
  Model.prototype.on = function (event, callback, context) {
    var self = this;
    String(event).split(/\s+/).forEach(function (name) {
      if (name) self.listeners.push({ name: name, callback: callback, context: context });
    });
  };
  Model.prototype.off = function (event, callback) {
    var names = event ? String(event).split(/\s+/) : null;
    this.listeners = this.listeners.filter(function (l) {
      var named = names === null || names.indexOf(l.name) >= 0;
      return !(named && (!callback || l.callback === callback));
    });
  };
  Model.prototype.trigger = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    this.listeners.slice().forEach(function (l) {
      if (l.name === name) l.callback.apply(l.context || null, args);
    });
  };
  Model.prototype.save_changes = function () { /* no kernel: the state lives in the page */ };
  Model.prototype.send = function () { /* no kernel to receive custom messages */ };

  var cache = {};
  function live(id) {
    if (!cache[id] && models[id]) cache[id] = new Model(id, models[id]);
    return cache[id];
  }

  function moduleOf(entry) {
    var esm = entry && entry.state && entry.state._esm;
    return esm && typeof esm === "object" ? esm.file : null;
  }

  // A module file; from file://, where browsers refuse module files, the same text from a classic
  // script (explorers/NAME.classic.js, written by the build) run as a module from a blob: address.
  function load(file) {
    var url = new URL(file, document.baseURI).href;
    if (location.protocol !== "file:") return import(url);
    var sources = window.explorerSources || (window.explorerSources = {});
    return new Promise(function (resolve, reject) {
      if (sources[file]) { resolve(); return; }
      var script = document.createElement("script");
      script.src = file.replace(/\.js$/, ".classic.js");
      script.onload = resolve;
      script.onerror = function () { reject(new Error("cannot read " + script.src)); };
      document.head.appendChild(script);
    }).then(function () {
      var blob = new Blob([sources[file]], { type: "text/javascript" });
      return import(URL.createObjectURL(blob));
    });
  }

  async function mount(box) {
    var id = box.getAttribute("data-model-id");
    var file = moduleOf(models[id]);
    if (!file) { box.setAttribute("data-live", "no"); return; }
    var model = live(id);
    model.attributes._esm = undefined;
    model.attributes._css = undefined;
    var mod = await load(file);
    var widget = mod.default !== undefined ? mod.default : mod;
    if (typeof widget === "function") widget = await widget();
    var el = document.createElement("div");
    el.className = "explorer-live";
    box.insertBefore(el, box.firstChild);
    if (typeof widget.initialize === "function") await widget.initialize({ model: model });
    await widget.render({ model: model, el: el });
    box.setAttribute("data-live", "yes");
  }

  function start() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(".explorer[data-model-id]"));
    var pending = boxes.map(function (box) {
      return mount(box).catch(function (err) {
        box.setAttribute("data-live", "no");
        console.error("explorer " + box.getAttribute("data-model-id") + " did not start:", err);
      });
    });
    window.explorersReady = Promise.all(pending);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
