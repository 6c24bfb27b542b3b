'use strict';
// An Express app as people write one: no Herd in it. It binds $PORT (3000 without it).
const express = require('express');

const app = express();
app.get('/', (req, res) => res.type('text/plain').send('hello from express ' + process.pid + '\n'));
app.listen(process.env.PORT || 3000, () => console.log('express listening'));
