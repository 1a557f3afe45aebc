// Swagger UI on the API's OpenAPI schema; "Try it out" uses the session (with its CSRF token)
// or a key entered with "Authorize".
(function () {
  var conteneur = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: conteneur.dataset.schema,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    requestInterceptor: function (requete) {
      requete.headers["X-CSRFToken"] = conteneur.dataset.csrf;
      return requete;
    },
  });
})();
