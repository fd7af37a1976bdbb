/* http_host: being written */
